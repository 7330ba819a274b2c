// Partner and house clearing accounts: balances and a partner's settlement totals.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/currency.hpp"
#include "protocol/messages.hpp"

namespace settle::ledger {

/// The counterparty of a player leg: the house of a currency, or a partner's clearing account.
struct clearing_owner {
  std::string partner;  // empty for the house
  bool is_house() const { return partner.empty(); }
  friend bool operator==(const clearing_owner&, const clearing_owner&) = default;
};

/// Changes to one clearing account since the last flush (also a partner's totals delta).
struct clearing_delta {
  std::string partner;  // empty for the house
  currency_code currency = 0;
  int64_t balance_change = 0;  // the counterparty leg: minus the player's change
  uint64_t changes = 0;        // number of legs (drives the clearing account's version)
  int64_t bets = 0, wins = 0, rollbacks = 0;
  uint64_t bet_count = 0, win_count = 0, rollback_count = 0;
};

/// Adds one applied player leg of `kind` and `amount` to `d`.
void record_leg(clearing_delta& d, protocol::txn_kind kind, int64_t amount);

/// Live state of one clearing account. For partners, `balance` must always equal GGR.
struct clearing_account {
  int64_t balance = 0;
  uint64_t version = 0;
  int64_t bets = 0, wins = 0, rollbacks = 0;
  uint64_t bet_count = 0, win_count = 0, rollback_count = 0;

  int64_t ggr() const { return bets - wins - rollbacks; }
  /// Applies a delta; asserts GGR == balance for partner accounts.
  void apply(const clearing_delta& d);
  protocol::currency_totals totals(currency_code currency) const;
};

/// Reserved ids: "house:CUR" and "partner:P:CUR". Returns false if `id` is not reserved;
/// sets `valid` to whether it is a well-formed reserved id.
bool parse_reserved_account(const std::string& id, clearing_owner& owner, currency_code& currency,
                            bool& valid);

/// True if `id` starts with a reserved prefix.
bool is_reserved_account(std::string_view id);

}  // namespace settle::ledger
