// Every partner's settlement state in one pure place: contracts and their revisions, the open
// period, FX rates, suspension, supplier credit and the statements written. Like decide/apply
// for transactions: a decide_* function checks an admin request against the state and gives
// the record to journal (or a refusal); apply() of that record changes the state, live and
// on replay alike. Instants come in as arguments; no clock, no I/O (but a contract's time
// zone is loaded when it is checked, ledger/calendar).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "ledger/contract.hpp"
#include "ledger/fx_book.hpp"
#include "ledger/statement.hpp"

namespace settle::ledger {

// -- records: what is journaled, and what apply() reads ----------------------------------

struct contract_record {
  contract_fields_owned fields;  // as accepted, to check again on replay
  uint32_t revision = 0;
  int64_t at_unix_ms = 0;
};
struct fx_record {
  currency_code base = 0, quote = 0;
  decimal_rate rate;
  int64_t at_unix_ms = 0;
};
struct topup_record {
  std::string partner, id;
  int64_t amount = 0;  // minor units of the supplier's settlement currency, > 0
  int64_t at_unix_ms = 0;
};
struct suspension_record {
  std::string partner;
  bool suspended = false;
};
struct close_record {
  statement stated;  // the statement the close wrote
};
using settlement_record =
    std::variant<contract_record, fx_record, topup_record, suspension_record, close_record>;

/// A record to journal, or why not.
struct settlement_verdict {
  std::optional<settlement_record> record;
  bool unchanged = false;  // a retry of a top-up already applied: answer, journal nothing
  protocol::error_code error = protocol::error_code::none;
  std::string message;
  bool refused() const { return error != protocol::error_code::none; }
};

/// One partner's settlement state.
struct partner_settlement {
  std::optional<partner_schedule> schedule;  // set once it has a contract
  std::optional<contract_fields_owned> newest_fields;  // of the newest revision, as set
  bool suspended = false;
  int64_t credit_topped_up = 0;    // suppliers: the sum of top-ups
  int64_t credit_consumed = 0;     // suppliers: net_payable of closed periods
  int64_t carried = 0;             // <= 0, into the next statement
  std::map<std::string, int64_t> topups;  // id -> amount (idempotency)
  std::vector<statement> statements;      // oldest first
};

class settlement_book {
public:
  // -- decide: check a request against the state ----------------------------------------
  settlement_verdict decide_contract(const contract_fields& fields, int64_t at_unix_ms) const;
  settlement_verdict decide_fx(std::string_view base, std::string_view quote,
                               std::string_view rate, int64_t at_unix_ms) const;
  settlement_verdict decide_topup(std::string_view partner, std::string_view id,
                                  int64_t amount, std::string_view currency,
                                  int64_t at_unix_ms) const;
  settlement_verdict decide_suspension(std::string_view partner, bool suspend) const;
  /// Closes `partner`'s open period at `at_unix_ms` with the period's totals, the lines of
  /// providers settling through it and the checksum of its ids: no_contract, fx_missing
  /// (the period stays open), or the close record with its statement.
  settlement_verdict decide_close(std::string_view partner, int64_t at_unix_ms,
                                  const std::vector<period_totals>& totals,
                                  const std::vector<statement_line>& lines,
                                  std::string checksum) const;

  /// What provider `provider`'s `totals` are worth on its supplier's statement closing at
  /// `at_unix_ms`: its GGR in the supplier's currency (compute_statement's ggr_settlement
  /// under the provider's own contract), or why not (fx_missing, ...).
  statement_result line_of(std::string_view provider, int64_t at_unix_ms,
                           const std::vector<period_totals>& totals) const;

  // -- apply: a record changes the state (live after journaling, and on replay) ----------
  /// Empty when the record fits the state, else what is wrong (a damaged or reordered
  /// journal: the caller refuses to start on it).
  std::string apply(const settlement_record& record);

  // -- reads ----------------------------------------------------------------------------
  const partner_settlement* partner(std::string_view id) const;
  const std::map<std::string, partner_settlement, std::less<>>& partners() const {
    return partners_;
  }
  const fx_book& fx() const { return fx_; }
  /// A supplier's credit left: top-ups - consumed - the open period's share so far
  /// (`live_share`, what the supplier's GGR through it is worth now; 0 when negative).
  int64_t credit_remaining(std::string_view supplier, int64_t live_share) const;
  /// Partners whose open period's boundary is at or before `now_unix_ms`.
  std::vector<std::string> due(int64_t now_unix_ms) const;
  /// Providers settling through `supplier` now.
  std::vector<std::string> providers_via(std::string_view supplier) const;

private:
  std::string apply_contract(const contract_record& r);
  std::string apply_close(const close_record& r);
  std::map<std::string, partner_settlement, std::less<>> partners_;
  fx_book fx_;
};

}  // namespace settle::ledger
