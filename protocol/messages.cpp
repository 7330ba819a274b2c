#include "protocol/messages.hpp"

#include <array>

#include "protocol/settlement_codec.hpp"
#include <utility>

namespace settle::protocol {

namespace {

template <class Enum, size_t N>
bool parse_table(std::string_view text, Enum& out, const std::array<std::string_view, N>& names) {
  for (size_t i = 0; i < N; ++i)
    if (names[i] == text) {
      out = static_cast<Enum>(i);
      return true;
    }
  return false;
}

constexpr std::array<std::string_view, 23> error_names{
    "none",          "bad_request",       "unauthenticated",    "forbidden",
    "unknown_account", "account_exists",  "account_blocked",    "currency_mismatch",
    "invalid_amount", "insufficient_funds", "id_conflict",      "rolled_back",
    "ref_mismatch",  "unknown_partner",   "overloaded",         "unavailable",
    "internal",      "rate_limited",      "partner_suspended",  "credit_exhausted",
    "fx_missing",    "unknown_period",    "no_contract"};
constexpr std::array<std::string_view, 23> op_names{
    "hello",     "open",       "txn",        "balance",      "partner",   "block",
    "unblock",   "snapshot",   "subscribe",  "unsubscribe",  "contract_set", "contract",
    "period_close", "statements", "statement", "fx_set",     "fx",        "topup",
    "suspend",   "resume",     "reconcile",  "history",      "audit"};
constexpr std::array<std::string_view, 6> txn_names{"bet",     "win",      "rollback",
                                                    "deposit", "withdraw", "transfer"};
constexpr std::array<std::string_view, 3> kind_names{"player", "partner", "house"};
constexpr std::array<std::string_view, 2> status_names{"active", "blocked"};
constexpr std::array<std::string_view, 3> outcome_names{"applied", "duplicate", "noop"};
constexpr std::array<std::string_view, 3> role_names{"admin", "partner", "viewer"};

// The tables list every enumerator in declaration order.
static_assert(error_names.size() == static_cast<size_t>(last_error_code) + 1);
static_assert(op_names.size() == static_cast<size_t>(last_op_kind) + 1);
static_assert(txn_names.size() == static_cast<size_t>(txn_kind::transfer) + 1);
static_assert(kind_names.size() == static_cast<size_t>(account_kind::house) + 1);
static_assert(status_names.size() == static_cast<size_t>(account_status::blocked) + 1);
static_assert(outcome_names.size() == static_cast<size_t>(txn_status::noop) + 1);
static_assert(role_names.size() == static_cast<size_t>(role::viewer) + 1);

/// The name of `x`; "invalid" for a value outside the enumeration (never indexes out of range).
template <class Enum, size_t N>
std::string_view name_of(Enum x, const std::array<std::string_view, N>& names) {
  auto i = static_cast<size_t>(x);
  return i < N ? names[i] : std::string_view{"invalid"};
}

}  // namespace

std::string_view to_string(error_code x) { return name_of(x, error_names); }
std::string_view to_string(op_kind x) { return name_of(x, op_names); }
std::string_view to_string(txn_kind x) { return name_of(x, txn_names); }
std::string_view to_string(account_kind x) { return name_of(x, kind_names); }
std::string_view to_string(account_status x) { return name_of(x, status_names); }
std::string_view to_string(txn_status x) { return name_of(x, outcome_names); }
std::string_view to_string(role x) { return name_of(x, role_names); }

bool parse(std::string_view t, error_code& x) { return parse_table(t, x, error_names); }
bool parse(std::string_view t, op_kind& x) { return parse_table(t, x, op_names); }
bool parse(std::string_view t, txn_kind& x) { return parse_table(t, x, txn_names); }
bool parse(std::string_view t, account_kind& x) { return parse_table(t, x, kind_names); }
bool parse(std::string_view t, account_status& x) { return parse_table(t, x, status_names); }
bool parse(std::string_view t, txn_status& x) { return parse_table(t, x, outcome_names); }
bool parse(std::string_view t, role& x) { return parse_table(t, x, role_names); }

void assign(request& out, const request_view& v) {
  out.op = v.op;
  out.rid = v.rid;
  out.token.assign(v.token);
  out.account.assign(v.account);
  out.currency.assign(v.currency);
  out.partner.assign(v.partner);
  out.id.assign(v.id);
  out.kind = v.kind;
  out.amount = v.amount;
  out.has_amount = v.has_amount;
  out.round.assign(v.round);
  out.game.assign(v.game);
  out.ref.assign(v.ref);
  out.to.assign(v.to);
  auto copy_list = [](std::vector<std::string>& to, std::string_view list) {
    to.clear();
    if (!list.empty())
      for (auto item : list_items(list))
        to.emplace_back(item);
  };
  copy_list(out.accounts, v.account_list);
  copy_list(out.partners, v.partner_list);
  out.all = v.all;
  out.alerts = v.alerts;
  out.subscription = v.subscription;
  out.limit = v.limit;
  out.before_version = v.before_version;
  out.before.assign(v.before);
  // The body was checked when `v` was decoded: decoding it again cannot fail.
  if (is_settlement_op(v.op) && !v.settlement_body.empty())
    out.settlement = detail::settlement_fields(v.settlement_body, v.op);
  else
    out.settlement.reset();
}

request to_request(const request_view& v) {
  request r;
  assign(r, v);
  return r;
}

request_view view_of(const request& r) {
  request_view v;
  v.op = r.op;
  v.rid = r.rid;
  v.token = r.token;
  v.account = r.account;
  v.currency = r.currency;
  v.partner = r.partner;
  v.id = r.id;
  v.kind = r.kind;
  v.amount = r.amount;
  v.has_amount = r.has_amount;
  v.round = r.round;
  v.game = r.game;
  v.ref = r.ref;
  v.to = r.to;
  v.all = r.all;
  v.alerts = r.alerts;
  v.subscription = r.subscription;
  v.limit = r.limit;
  v.before_version = r.before_version;
  v.before = r.before;
  return v;
}

response make_error(op_kind op, uint64_t rid, error_code code, std::string message) {
  response r;
  r.op = op;
  r.rid = rid;
  r.error = code;
  r.message = std::move(message);
  return r;
}

}  // namespace settle::protocol
