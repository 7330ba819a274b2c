// The payloads of the partner settlement ops (docs/protocol.md "Settlement ops"): contract_set,
// contract, period_close, statements, statement, fx_set, fx, topup, suspend, resume, reconcile.
// A request or response of one of these ops carries them in `settlement` (messages.hpp); the
// shared fields (partner; topup's amount, currency and id) stay in the flat request/response.
//
// The codec checks types, presence and lengths, and the formats it checks everywhere (partner
// ids, currencies, transaction ids); the values themselves (a known kind or cycle, share_bps in
// 0..10000, a loadable zone, a decimal rate, ...) are the engine's (ledger/contract.cpp
// check_contract, ledger/money.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/messages.hpp"

namespace settle::protocol {

/// contract_set's terms, and the contract answer's (the same fields as set). "" (or nullopt)
/// is an absent optional field.
struct contract_terms {
  std::string kind;      // the PARTNER's kind: provider, supplier or payment (not a txn kind)
  std::string currency;  // the settlement currency
  std::string cycle;     // daily, weekly or monthly
  std::string tz;        // an IANA zone ("" = absent: UTC)
  std::string cutoff;    // "HH:MM" ("" = absent: 00:00)
  std::string weekday;   // mon..sun (weekly)
  std::string day;       // monthly: "1".."28" (an integer on the wire) or "last"
  int64_t share_bps = 0;  // 0..10000 of GGR (range checked by the engine)
  std::string via;        // a provider's supplier ("" = settles directly)
  std::optional<int64_t> credit_alert;  // suppliers: alert below this credit, minor units
  std::optional<int64_t> max_tps;       // transactions per second (absent: no limit)
  friend bool operator==(const contract_terms&, const contract_terms&) = default;
};

/// One row of a partner's report for `reconcile`.
struct reconcile_row {
  std::string id;
  txn_kind kind = txn_kind::bet;  // bet, win or rollback only
  int64_t amount = 0;             // minor units of `currency`
  std::string currency;
  friend bool operator==(const reconcile_row&, const reconcile_row&) = default;
};

/// The settlement fields of a request (besides request.partner, and request.amount,
/// request.currency and request.id of a topup).
struct settlement_request {
  contract_terms contract;  // contract_set
  uint64_t period = 0;      // statement, reconcile
  uint32_t limit = 0;       // statements: at most this many (1..1000); 0 = absent (100)
  std::string base, quote;  // fx_set, fx: currencies
  std::string rate;         // fx_set: an exact decimal, quote units per base unit
  // reconcile
  std::vector<reconcile_row> rows;
  std::string reconcile_id;  // "" = the rows are the whole report
  bool final = true;         // with a reconcile_id: the last chunk (always true without one)
  friend bool operator==(const settlement_request&, const settlement_request&) = default;
};

/// A closed period in a `statements` answer.
struct statement_summary {
  uint64_t period = 0;
  int64_t from_unix_ms = 0, to_unix_ms = 0;  // `to` exclusive
  std::string currency;                      // the settlement currency
  int64_t net_payable = 0;
  friend bool operator==(const statement_summary&, const statement_summary&) = default;
};

/// One currency of a statement: the period's totals, converted into the settlement currency.
struct statement_totals : currency_totals {
  std::string fx_rate;         // the rate used: a decimal, or "1/<decimal>" for an inverse
  int64_t ggr_settlement = 0;  // ggr in the settlement currency's minor units
  friend bool operator==(const statement_totals&, const statement_totals&) = default;
};

/// A supplier's statement line: a provider settling through it (or its own traffic).
struct supplier_line {
  std::string partner;
  int64_t ggr_settlement = 0;
  friend bool operator==(const supplier_line&, const supplier_line&) = default;
};

/// A statement answer's own fields (period, from, to, revision and currency are in
/// settlement_answer, as in the other answers).
struct statement_answer {
  int64_t share_bps = 0;
  std::vector<statement_totals> totals;  // one per currency, in currency order
  int64_t ggr_settlement = 0;            // the sum (a supplier's: of its lines)
  int64_t share = 0;
  int64_t net_payable = 0;
  int64_t carried_in = 0;       // <= 0: what earlier negative periods left to offset
  int64_t carried_forward = 0;  // <= 0: offset against the next periods
  uint64_t txn_count = 0;
  std::string checksum;    // lowercase hex SHA-256 of the sorted transaction ids
  std::string payable_to;  // the partner, or a provider's supplier
  std::vector<supplier_line> lines;  // a supplier's; written only when not empty
  friend bool operator==(const statement_answer&, const statement_answer&) = default;
};

/// An FX rate (fx_set, fx answers).
struct fx_answer {
  std::string base, quote, rate;
  int64_t at_unix_ms = 0;  // when it was set
  friend bool operator==(const fx_answer&, const fx_answer&) = default;
};

/// A reconcile answer: the result (complete) or, for a chunk that is not the last, how many
/// rows the reconcile_id holds so far.
struct reconcile_answer {
  bool complete = false;  // the result fields below are meaningful
  std::string reconcile_id;  // chunked reconciles only ("" otherwise)
  uint64_t rows_received = 0;  // report rows received (all chunks)
  uint64_t matched = 0;
  std::vector<std::string> missing_in_engine, missing_in_report, mismatched,
      duplicate_in_report;  // at most 1000 ids each, bytewise order
  uint64_t missing_in_engine_count = 0, missing_in_report_count = 0, mismatched_count = 0,
           duplicate_in_report_count = 0;
  friend bool operator==(const reconcile_answer&, const reconcile_answer&) = default;
};

/// The settlement fields of a successful answer (besides response.partner). Which are
/// meaningful depends on the op, as for response.
struct settlement_answer {
  uint64_t revision = 0;     // contract_set, contract, statement
  contract_terms contract;   // contract
  bool has_credit_remaining = false;  // contract (a supplier's, when known), topup
  int64_t credit_remaining = 0;
  std::string currency;      // topup, statement (contract: contract.currency)
  uint64_t period = 0;       // period_close, statement; contract: the open period
  int64_t from_unix_ms = 0, to_unix_ms = 0;  // period_close, statement (`to` exclusive);
                                             // contract: `from` of the open period
  std::vector<currency_totals> live;  // contract: the open period's totals so far
  // contract: the open period's GGR so far in the settlement currency and the share of it
  // (share_bps, before carry-in), as a close now would compute them; absent without a rate
  bool has_live_share = false;
  int64_t live_ggr_settlement = 0, live_share = 0;

  std::vector<statement_summary> statements;  // statements: newest first
  statement_answer statement;                 // statement
  fx_answer fx;                               // fx_set, fx
  bool suspended = false;                     // suspend, resume, contract
  reconcile_answer reconcile;                 // reconcile
  friend bool operator==(const settlement_answer&, const settlement_answer&) = default;
};

/// The limits the codec checks on settlement requests.
inline constexpr size_t max_reconcile_rows = 10'000;  // rows in one reconcile request
inline constexpr uint32_t max_statements_limit = 1000;
inline constexpr uint32_t default_statements_limit = 100;

}  // namespace settle::protocol
