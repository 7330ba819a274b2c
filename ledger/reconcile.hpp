// Reconciliation of a partner's report of a period against the engine's own rows of it: which
// transactions both sides agree on, which only one side has, and which differ. The engine's
// rows are held once; the report arrives in chunks (settlectl streams a CSV of any size), so
// only the engine side and the differences found so far stay in memory. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>
#include <absl/hash/hash.h>

#include "ledger/currency.hpp"
#include "protocol/messages.hpp"

namespace settle::ledger {

/// One transaction of a period as both sides list it.
struct txn_row {
  std::string id;
  protocol::txn_kind kind = protocol::txn_kind::bet;  // bet, win or rollback only
  int64_t amount = 0;                                 // minor units of `currency`
  currency_code currency = 0;
  friend bool operator==(const txn_row&, const txn_row&) = default;
};

/// The kinds a partner's period is made of (what a report row may name).
constexpr bool is_reported_kind(protocol::txn_kind k) {
  return k == protocol::txn_kind::bet || k == protocol::txn_kind::win ||
         k == protocol::txn_kind::rollback;
}

/// What the wire's `reconcile` answers (at most 1,000 ids listed per difference).
inline constexpr size_t default_max_listed = 1000;

/// The answer: the lists hold the bytewise-smallest `max_listed` ids of each difference, in
/// bytewise order, so the same inputs give the same answer whatever their order and chunking;
/// the counts are the full ones. Each id of either side lands in exactly one of matched,
/// missing_in_engine, missing_in_report and mismatched; duplicate_in_report is on top of that.
struct reconcile_result {
  uint64_t matched = 0;
  std::vector<std::string> missing_in_engine;    // reported, unknown to the engine's period
  std::vector<std::string> missing_in_report;    // in the engine's period, never reported
  std::vector<std::string> mismatched;           // both have it, kind/amount/currency differ
  std::vector<std::string> duplicate_in_report;  // reported on more than one row
  uint64_t missing_in_engine_count = 0, missing_in_report_count = 0, mismatched_count = 0;
  uint64_t duplicate_in_report_count = 0;  // ids, not extra rows

  /// True when anything differs (settlectl exits 1).
  bool differs() const {
    return missing_in_engine_count != 0 || missing_in_report_count != 0 ||
           mismatched_count != 0 || duplicate_in_report_count != 0;
  }
  friend bool operator==(const reconcile_result&, const reconcile_result&) = default;
};

/// Reconciles one period: construct with the engine's rows, feed the report with
/// add_report() in as many chunks as it comes in, then finish().
///
/// Rules:
///  - a report id the engine does not have is missing_in_engine;
///  - an engine id no report row names is missing_in_report;
///  - an id both have is matched when kind, amount and currency are equal, else mismatched;
///  - duplicates: an id is judged by its FIRST report row only. Every later row with the same
///    id, equal to the first or not, makes the id a duplicate_in_report (counted once per id)
///    and changes nothing else. A repeated line is a difference of its own (the partner's
///    totals count it twice), and judging by the first row keeps the other counts a function
///    of the set of ids, whatever the report repeats.
/// Report rows are the partner's data: any kind is compared as it is (a deposit row against a
/// bet is mismatched), nothing is asserted about them.
class reconciler {
public:
  /// The engine's rows of the period, in any order. Asserts ids are unique and kinds are
  /// bet, win or rollback: the engine's period holds each applied transaction once.
  explicit reconciler(std::vector<txn_row> engine_rows);
  // The index hashes through a pointer into engine_'s buffer, which a move keeps.
  reconciler(const reconciler&) = delete;
  reconciler& operator=(const reconciler&) = delete;
  reconciler(reconciler&&) = default;
  reconciler& operator=(reconciler&&) = default;

  /// The next rows of the report, in report order.
  void add_report(const std::vector<txn_row>& rows);

  /// The answer so far; listing at most `max_listed` ids per difference. The reconciler is
  /// left as it is (finish() can be asked again, or after more rows).
  reconcile_result finish(size_t max_listed = default_max_listed) const;

  uint64_t engine_rows() const { return engine_.size(); }
  uint64_t report_rows() const { return report_rows_; }

private:
  // The engine's rows stay in the vector they came in, indexed by a set of their positions
  // (4-byte slots) rather than copied into a map of strings: at a million rows the map's
  // ~100 MB of fresh pages cost more than its lookups.
  struct id_hash {
    using is_transparent = void;
    const txn_row* rows = nullptr;
    size_t operator()(uint32_t at) const { return absl::HashOf(std::string_view{rows[at].id}); }
    size_t operator()(std::string_view id) const { return absl::HashOf(id); }
  };
  struct id_eq {
    using is_transparent = void;
    const txn_row* rows = nullptr;
    std::string_view id(uint32_t at) const { return rows[at].id; }
    std::string_view id(std::string_view s) const { return s; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return id(a) == id(b); }
  };
  enum mark : uint8_t { was_reported = 1, was_mismatched = 2, was_duplicated = 4 };

  void add_one(const txn_row& row);

  std::vector<txn_row> engine_;
  std::vector<uint8_t> marks_;  // per engine row
  absl::flat_hash_set<uint32_t, id_hash, id_eq> index_;
  // Report ids unknown to the engine -> whether the report repeated them.
  absl::flat_hash_map<std::string, bool> missing_in_engine_;
  uint64_t report_rows_ = 0;
  uint64_t matched_ = 0, mismatched_ = 0, duplicated_ = 0;
};

}  // namespace settle::ledger
