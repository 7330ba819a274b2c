// A closed period's statement, computed from its totals, the contract in force and the FX
// rates: what each currency's GGR is worth in the settlement currency, the partner's share,
// what is payable and to whom, and the checksum both sides can recompute. Pure; the same
// function serves a live close and a replayed one, so a statement is the same after a restart.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger/currency.hpp"
#include "ledger/fx_book.hpp"
#include "ledger/money.hpp"
#include "protocol/messages.hpp"

namespace settle::ledger {

/// One currency's totals of a partner's period (minor units of that currency).
struct period_totals {
  currency_code currency = 0;
  int64_t bets = 0, wins = 0, rollbacks = 0;
  uint64_t bet_count = 0, win_count = 0, rollback_count = 0;
};

/// bets - wins - rollbacks, or nothing when it does not fit in 64 bits.
std::optional<int64_t> ggr_of(const period_totals& t);

/// What the statement is of and under which contract.
struct statement_terms {
  std::string partner;
  uint64_t period = 0;  // 1, 2, ... per partner
  int64_t from_unix_ms = 0, to_unix_ms = 0;  // `to` exclusive
  uint32_t revision = 0;                     // of the contract used
  currency_code settlement_currency = 0;
  uint32_t share_bps = 0;  // 0..10000
  std::string via;         // the supplier this provider settles through; "" when direct
  int64_t carried_in = 0;  // <= 0: what earlier negative periods left to offset
};

/// A provider's converted GGR on its supplier's statement.
struct statement_line {
  std::string partner;
  int64_t ggr_settlement = 0;
};

/// One currency of the statement.
struct statement_currency {
  period_totals totals;
  int64_t ggr = 0;  // bets - wins - rollbacks, in the currency's minor units
  fx_quote rate;    // into the settlement currency
  int64_t ggr_settlement = 0;
};

struct statement {
  statement_terms terms;
  std::vector<statement_currency> currencies;  // in currency order
  std::vector<statement_line> lines;           // a supplier's: providers via it, then itself
  int64_t ggr_settlement = 0;  // the sum of the currencies' (and, for a supplier, the lines')
  int64_t share = 0;           // share_bps of ggr_settlement
  int64_t net_payable = 0;     // the operator owes the partner this (never negative: below)
  int64_t carried_forward = 0; // <= 0: offset against the next periods' shares
  uint64_t txn_count = 0;      // applied bets, wins and rollbacks
  std::string checksum;        // statement_checksum of the period's transaction ids
  std::string payable_to;      // the supplier for a provider with `via`, else the partner
};

/// A statement, or why it cannot be computed.
struct statement_result {
  std::optional<statement> done;
  protocol::error_code error = protocol::error_code::none;
  std::string message;
};

/// Computes the statement of `terms` from the period's `totals` (one per currency), the
/// rates in force at the period's end, the `lines` of providers settling through this
/// partner (a supplier's; empty otherwise) and the period's id `checksum`.
///
/// Rules (docs/settlement.md): each currency's GGR converts into the settlement currency
/// at fx.rate_for(currency, settlement, to) and rounds half to even once; the share is
/// share_bps of the sum, rounded half to even. Negative periods carry forward: net_payable is
/// max(0, share + carried_in) and what stays below zero is carried_forward. A provider with
/// `via` owes and is owed nothing itself: net_payable 0, payable_to its supplier, and its
/// converted GGR becomes a line of the supplier's statement.
///
/// Refuses with fx_missing (naming the pair) when a currency has no rate, with
/// invalid_amount when a sum does not fit in 64 bits, and with bad_request when a currency
/// has no ISO 4217 exponent.
statement_result compute_statement(const statement_terms& terms,
                                   const std::vector<period_totals>& totals, const fx_book& fx,
                                   const std::vector<statement_line>& lines,
                                   std::string checksum);

/// Lowercase hex SHA-256 of `ids` sorted bytewise, each followed by '\n' (what a partner
/// recomputes from its own records). Sorts `ids` in place.
std::string statement_checksum(std::vector<std::string>& ids);

}  // namespace settle::ledger
