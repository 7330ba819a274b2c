#include "reference_model.hpp"

namespace settle::testing {

using protocol::account_status;
using protocol::error_code;
using protocol::op_kind;
using protocol::request;
using protocol::response;
using protocol::txn_kind;
using protocol::txn_status;

namespace {

bool reserved(const std::string& id) {
  return id.starts_with("house:") || id.starts_with("partner:");
}

std::string ns_of(const request& r) {
  bool partner_kind = r.kind == txn_kind::bet || r.kind == txn_kind::win ||
                      r.kind == txn_kind::rollback;
  return partner_kind ? r.partner : std::string{};
}

}  // namespace

bool reference_model::same_fields(const request& a, const request& b) {
  return a.kind == b.kind && a.account == b.account && a.amount == b.amount &&
         a.has_amount == b.has_amount && a.currency == b.currency && a.partner == b.partner &&
         a.round == b.round && a.game == b.game && a.ref == b.ref && a.to == b.to;
}

int64_t reference_model::total(const std::string& currency) const {
  int64_t sum = 0;
  for (auto& [id, a] : accounts)
    if (a.currency == currency)
      sum += a.balance;
  return sum;
}

response reference_model::apply(const request& r) {
  response out;
  out.op = r.op;
  out.rid = r.rid;
  auto it = accounts.find(r.account);
  switch (r.op) {
    case op_kind::open:
      if (reserved(r.account))
        return protocol::make_error(r.op, r.rid, error_code::bad_request, "");
      if (it != accounts.end() && it->second.currency != r.currency)
        return protocol::make_error(r.op, r.rid, error_code::account_exists, "");
      if (it == accounts.end())
        accounts[r.account].currency = r.currency;
      out.account = r.account;
      out.currency = r.currency;
      return out;
    case op_kind::balance:
    case op_kind::block:
    case op_kind::unblock: {
      if (it == accounts.end())
        return protocol::make_error(r.op, r.rid, error_code::unknown_account, "");
      auto& a = it->second;
      if (r.op != op_kind::balance) {
        auto wanted = r.op == op_kind::block ? account_status::blocked : account_status::active;
        if (a.status != wanted) {
          a.status = wanted;
          ++a.version;
        }
      }
      out.account = r.account;
      out.currency = a.currency;
      out.kind = a.kind;
      out.status = a.status;
      out.balance = a.balance;
      out.version = a.version;
      return out;
    }
    case op_kind::partner: {
      auto p = partners.find(r.partner);
      if (p == partners.end())
        return protocol::make_error(r.op, r.rid, error_code::unknown_partner, "");
      out.partner = r.partner;
      for (auto& [cur, t] : p->second)
        out.totals.push_back(t);
      return out;
    }
    case op_kind::txn:
      return txn(r);
    default:
      return protocol::make_error(r.op, r.rid, error_code::bad_request, "");
  }
}

response reference_model::refuse(const request& r, error_code code) {
  auto out = protocol::make_error(op_kind::txn, r.rid, code, "");
  auto it = accounts.find(r.account);
  if (!reserved(r.account) && it != accounts.end()) {
    out.has_balance = true;
    out.balance = it->second.balance;
    out.version = it->second.version;
  }
  return out;
}

response reference_model::done(const request& r, txn_status outcome) {
  auto& a = accounts.at(r.account);
  auto& rem = ids_[ns_of(r) + '\0' + r.id];
  rem.req = r;
  rem.outcome = outcome;
  rem.balance = a.balance;
  rem.version = a.version;
  response out;
  out.op = op_kind::txn;
  out.rid = r.rid;
  out.outcome = outcome;
  out.balance = a.balance;
  out.version = a.version;
  return out;
}

std::optional<error_code> reference_model::check(const account& a, const request& r, bool debit,
                                                 bool transfer_target) const {
  if (a.currency != r.currency)
    return error_code::currency_mismatch;
  bool refuses_blocked = r.kind == txn_kind::bet || r.kind == txn_kind::deposit ||
                         r.kind == txn_kind::transfer || transfer_target;
  if (a.status == account_status::blocked && refuses_blocked)
    return error_code::account_blocked;
  if (debit && a.balance < r.amount)
    return error_code::insufficient_funds;
  return std::nullopt;
}

void reference_model::counterparty(const request& r, int64_t player_change, int64_t amount) {
  bool house = r.kind == txn_kind::deposit || r.kind == txn_kind::withdraw;
  std::string id = house ? "house:" + r.currency : "partner:" + r.partner + ":" + r.currency;
  auto& c = accounts[id];
  c.currency = r.currency;
  c.kind = house ? protocol::account_kind::house : protocol::account_kind::partner;
  c.balance -= player_change;
  ++c.version;
  if (house)
    return;
  auto& t = partners[r.partner][r.currency];
  t.currency = r.currency;
  if (r.kind == txn_kind::bet) {
    t.bets += amount;
    ++t.bet_count;
  } else if (r.kind == txn_kind::win) {
    t.wins += amount;
    ++t.win_count;
  } else {
    t.rollbacks += amount;
    ++t.rollback_count;
  }
  t.ggr = t.bets - t.wins - t.rollbacks;
}

response reference_model::txn(const request& r) {
  bool amount_given = r.kind != txn_kind::rollback || r.has_amount;
  if (amount_given && (r.amount <= 0 || r.amount > max_amount_))
    return refuse(r, error_code::invalid_amount);
  if (reserved(r.account) || (r.kind == txn_kind::transfer && reserved(r.to)))
    return refuse(r, error_code::bad_request);
  if (r.kind == txn_kind::transfer && r.to == r.account)
    return refuse(r, error_code::bad_request);
  auto key = ns_of(r) + '\0' + r.id;
  if (auto found = ids_.find(key); found != ids_.end()) {
    auto& rem = found->second;
    if (rem.tombstone)
      return refuse(r, r.kind == txn_kind::bet ? error_code::rolled_back : error_code::id_conflict);
    if (!same_fields(rem.req, r))
      return refuse(r, error_code::id_conflict);
    response out;
    out.op = op_kind::txn;
    out.rid = r.rid;
    out.outcome = txn_status::duplicate;
    out.balance = rem.balance;
    out.version = rem.version;
    return out;
  }
  auto it = accounts.find(r.account);
  if (r.kind == txn_kind::transfer) {
    auto to = accounts.find(r.to);
    if (to == accounts.end())
      return refuse(r, error_code::unknown_account);
    if (to->second.currency != r.currency)
      return refuse(r, error_code::currency_mismatch);
    if (to->second.status == account_status::blocked)
      return refuse(r, error_code::account_blocked);
    if (it == accounts.end())
      return refuse(r, error_code::unknown_account);
    if (auto e = check(it->second, r, true, false))
      return refuse(r, *e);
    it->second.balance -= r.amount;
    ++it->second.version;
    to->second.balance += r.amount;
    ++to->second.version;
    return done(r, txn_status::applied);
  }
  if (it == accounts.end())
    return refuse(r, error_code::unknown_account);
  auto& a = it->second;
  if (r.kind == txn_kind::rollback) {
    if (a.currency != r.currency)
      return refuse(r, error_code::currency_mismatch);
    if (r.ref == r.id)  // names itself, not a bet
      return refuse(r, error_code::ref_mismatch);
    auto bet_key = r.partner + '\0' + r.ref;
    auto bet = ids_.find(bet_key);
    if (bet == ids_.end()) {
      auto& t = ids_[bet_key];
      t.tombstone = true;
      t.req = r;
      return done(r, txn_status::noop);
    }
    auto& b = bet->second;
    if (b.tombstone || (b.req.kind == txn_kind::bet && b.rolled_back))
      return done(r, txn_status::duplicate);
    if (b.req.kind != txn_kind::bet || b.req.account != r.account ||
        b.req.currency != r.currency || (r.has_amount && r.amount != b.req.amount))
      return refuse(r, error_code::ref_mismatch);
    b.rolled_back = true;
    a.balance += b.req.amount;
    ++a.version;
    counterparty(r, b.req.amount, b.req.amount);
    return done(r, txn_status::applied);
  }
  bool debit = r.kind == txn_kind::bet || r.kind == txn_kind::withdraw;
  if (auto e = check(a, r, debit, false))
    return refuse(r, *e);
  int64_t change = debit ? -r.amount : r.amount;
  a.balance += change;
  ++a.version;
  counterparty(r, change, r.amount);
  return done(r, txn_status::applied);
}

}  // namespace settle::testing
