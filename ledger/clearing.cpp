#include "ledger/clearing.hpp"

#include "base/invariant.hpp"

#include "protocol/codec.hpp"

namespace settle::ledger {

using protocol::txn_kind;

void record_leg(clearing_delta& d, txn_kind kind, int64_t amount) {
  ++d.changes;
  switch (kind) {
    case txn_kind::bet:
      d.balance_change += amount;
      d.bets += amount;
      ++d.bet_count;
      break;
    case txn_kind::win:
      d.balance_change -= amount;
      d.wins += amount;
      ++d.win_count;
      break;
    case txn_kind::rollback:
      d.balance_change -= amount;
      d.rollbacks += amount;
      ++d.rollback_count;
      break;
    case txn_kind::deposit:
      d.balance_change -= amount;
      break;
    case txn_kind::withdraw:
      d.balance_change += amount;
      break;
    case txn_kind::transfer:
      SETTLE_ASSERT(false, "transfers have no clearing leg");
      break;
  }
}

void clearing_account::apply(const clearing_delta& d) {
  balance += d.balance_change;
  version += d.changes;
  bets += d.bets;
  wins += d.wins;
  rollbacks += d.rollbacks;
  bet_count += d.bet_count;
  win_count += d.win_count;
  rollback_count += d.rollback_count;
  // Double entry broke if not: a partner's clearing balance is its GGR by construction.
  SETTLE_ASSERT(d.partner.empty() || balance == ggr(),
                "partner '" + d.partner + "': clearing balance " + std::to_string(balance) +
                    " is not its GGR " + std::to_string(ggr()));
}

protocol::currency_totals clearing_account::totals(currency_code currency) const {
  protocol::currency_totals t;
  t.currency = currency_text(currency);
  t.bets = bets;
  t.wins = wins;
  t.rollbacks = rollbacks;
  t.bet_count = bet_count;
  t.win_count = win_count;
  t.rollback_count = rollback_count;
  t.ggr = ggr();
  return t;
}

bool is_reserved_account(std::string_view id) {
  return id.starts_with("house:") || id.starts_with("partner:");
}

bool parse_reserved_account(const std::string& id, clearing_owner& owner, currency_code& currency,
                            bool& valid) {
  valid = false;
  if (id.starts_with("house:")) {
    currency = pack_currency(std::string_view{id}.substr(6));
    owner.partner.clear();
    valid = currency != 0;
    return true;
  }
  if (id.starts_with("partner:")) {
    std::string_view rest = std::string_view{id}.substr(8);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos)
      return true;
    owner.partner = std::string{rest.substr(0, colon)};
    currency = pack_currency(rest.substr(colon + 1));
    valid = currency != 0 && protocol::valid_partner_id(owner.partner);
    return true;
  }
  return false;
}

}  // namespace settle::ledger
