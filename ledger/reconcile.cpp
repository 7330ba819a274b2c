#include "ledger/reconcile.hpp"

#include <algorithm>

#include "base/invariant.hpp"

namespace settle::ledger {

namespace {

/// The bytewise-smallest `max_listed` of `ids`, sorted (reorders `ids`).
std::vector<std::string> first_listed(std::vector<std::string_view>& ids, size_t max_listed) {
  // nth_element then a sort of the head: O(n + k log k), not a full sort of a million ids.
  const size_t listed = std::min(max_listed, ids.size());
  if (listed < ids.size())
    std::nth_element(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(listed), ids.end());
  std::sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(listed));
  return {ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(listed)};
}

}  // namespace

reconciler::reconciler(std::vector<txn_row> engine_rows)
    : engine_(std::move(engine_rows)), marks_(engine_.size(), 0),
      index_(0, id_hash{engine_.data()}, id_eq{engine_.data()}) {
  SETTLE_ASSERT(engine_.size() < UINT32_MAX, "a period of more than 2^32 rows");
  index_.reserve(engine_.size());
  for (uint32_t at = 0; at < engine_.size(); ++at) {
    const auto& row = engine_[at];
    SETTLE_ASSERT(is_reported_kind(row.kind), "engine row '" + row.id + "' of kind " +
                                                  std::string{protocol::to_string(row.kind)});
    const bool fresh = index_.insert(at).second;
    SETTLE_ASSERT(fresh, "engine id '" + row.id + "' appears twice in its period");
  }
}

void reconciler::add_report(const std::vector<txn_row>& rows) {
  for (const auto& row : rows)
    add_one(row);
  report_rows_ += rows.size();
}

void reconciler::add_one(const txn_row& row) {
  if (auto it = index_.find(std::string_view{row.id}); it != index_.end()) {
    auto& m = marks_[*it];
    if (m & was_reported) {  // judged by its first row already
      duplicated_ += (m & was_duplicated) ? 0 : 1;
      m |= was_duplicated;
      return;
    }
    const auto& e = engine_[*it];
    const bool same = e.kind == row.kind && e.amount == row.amount && e.currency == row.currency;
    m |= same ? was_reported : was_reported | was_mismatched;
    ++(same ? matched_ : mismatched_);
    return;
  }
  auto [it, fresh] = missing_in_engine_.try_emplace(row.id, false);
  if (!fresh) {
    duplicated_ += it->second ? 0 : 1;
    it->second = true;
  }
}

reconcile_result reconciler::finish(size_t max_listed) const {
  std::vector<std::string_view> unreported, mismatched, duplicated, unknown;
  for (size_t at = 0; at < engine_.size(); ++at) {
    const uint8_t m = marks_[at];
    const std::string_view id = engine_[at].id;
    if (!(m & was_reported))
      unreported.push_back(id);
    else if (m & was_mismatched)
      mismatched.push_back(id);
    if (m & was_duplicated)
      duplicated.push_back(id);
  }
  unknown.reserve(missing_in_engine_.size());
  for (const auto& [id, repeated] : missing_in_engine_) {
    unknown.push_back(id);
    if (repeated)
      duplicated.push_back(id);
  }
  // The running counts and the lists are kept apart; they must agree.
  SETTLE_ASSERT(mismatched.size() == mismatched_, "mismatched count drifted");
  SETTLE_ASSERT(duplicated.size() == duplicated_, "duplicate count drifted");
  SETTLE_ASSERT(matched_ + mismatched_ + unreported.size() == engine_.size(),
                "an engine id is in no category or in two");

  reconcile_result r;
  r.matched = matched_;
  r.missing_in_engine_count = unknown.size();
  r.missing_in_report_count = unreported.size();
  r.mismatched_count = mismatched.size();
  r.duplicate_in_report_count = duplicated.size();
  r.missing_in_engine = first_listed(unknown, max_listed);
  r.missing_in_report = first_listed(unreported, max_listed);
  r.mismatched = first_listed(mismatched, max_listed);
  r.duplicate_in_report = first_listed(duplicated, max_listed);
  return r;
}

}  // namespace settle::ledger
