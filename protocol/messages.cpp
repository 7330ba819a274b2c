#include "protocol/messages.hpp"

#include <array>

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

constexpr std::array<std::string_view, 17> error_names{
    "none",          "bad_request",       "unauthenticated",    "forbidden",
    "unknown_account", "account_exists",  "account_blocked",    "currency_mismatch",
    "invalid_amount", "insufficient_funds", "id_conflict",      "rolled_back",
    "ref_mismatch",  "unknown_partner",   "overloaded",         "unavailable",
    "internal"};
constexpr std::array<std::string_view, 7> op_names{"hello",   "open",  "txn",    "balance",
                                                   "partner", "block", "unblock"};
constexpr std::array<std::string_view, 6> txn_names{"bet",     "win",      "rollback",
                                                    "deposit", "withdraw", "transfer"};
constexpr std::array<std::string_view, 3> kind_names{"player", "partner", "house"};
constexpr std::array<std::string_view, 2> status_names{"active", "blocked"};
constexpr std::array<std::string_view, 3> outcome_names{"applied", "duplicate", "noop"};
constexpr std::array<std::string_view, 3> role_names{"admin", "partner", "viewer"};

}  // namespace

std::string_view to_string(error_code x) { return error_names[static_cast<size_t>(x)]; }
std::string_view to_string(op_kind x) { return op_names[static_cast<size_t>(x)]; }
std::string_view to_string(txn_kind x) { return txn_names[static_cast<size_t>(x)]; }
std::string_view to_string(account_kind x) { return kind_names[static_cast<size_t>(x)]; }
std::string_view to_string(account_status x) { return status_names[static_cast<size_t>(x)]; }
std::string_view to_string(txn_status x) { return outcome_names[static_cast<size_t>(x)]; }
std::string_view to_string(role x) { return role_names[static_cast<size_t>(x)]; }

bool parse(std::string_view t, error_code& x) { return parse_table(t, x, error_names); }
bool parse(std::string_view t, op_kind& x) { return parse_table(t, x, op_names); }
bool parse(std::string_view t, txn_kind& x) { return parse_table(t, x, txn_names); }
bool parse(std::string_view t, account_kind& x) { return parse_table(t, x, kind_names); }
bool parse(std::string_view t, account_status& x) { return parse_table(t, x, status_names); }
bool parse(std::string_view t, txn_status& x) { return parse_table(t, x, outcome_names); }
bool parse(std::string_view t, role& x) { return parse_table(t, x, role_names); }

response make_error(op_kind op, uint64_t rid, error_code code, std::string message) {
  response r;
  r.op = op;
  r.rid = rid;
  r.error = code;
  r.message = std::move(message);
  return r;
}

}  // namespace settle::protocol
