// Owns the transaction ids hashed to it and drives each transaction through its accounts:
// idempotency, rollback bookkeeping, the journal stage, and clearing deltas.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "ledger/id_store.hpp"
#include "persistence/journal.hpp"

namespace settle::actors {

/// Limits and timings of a ledger shard.
struct ledger_shard_options {
  int64_t max_amount = 1'000'000'000'000;
  int64_t id_retention_s = 7 * 24 * 3600;
  uint32_t partner_flush_interval_us = 1000;
  uint32_t max_pending = 100000;  // transactions in flight in this shard before `overloaded`
  uint32_t id_sweep_interval_s = 60;
};

/// One ledger shard. Transactions whose (namespace, id) hash here are serialized here, so
/// racing retries of one id see each other; the money moves in the account actors.
class ledger_shard : public caf::event_based_actor {
public:
  ledger_shard(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
               ledger_shard_options opts, std::unique_ptr<persistence::journal_stage> journal);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  using promise = caf::typed_response_promise<protocol::response>;

  void handle_txn(const protocol::request& req, promise rp);
  void handle_ref(const ref_query& q, caf::typed_response_promise<ref_answer> rp);
  void apply_simple(const protocol::request& req, const std::string& key, promise rp);
  void apply_rollback(const protocol::request& req, const std::string& key, promise rp);
  void apply_transfer(const protocol::request& req, const std::string& key, promise rp);

  /// A refusal: forget the id (refusals are not remembered), answer with the account's
  /// balance when it is known, and let waiters on the id proceed.
  void refuse(const protocol::request& req, const std::string& key, promise rp,
              protocol::error_code code, std::string message);
  /// A refusal decided before any id was reserved.
  void refuse_unreserved(const protocol::request& req, promise rp, protocol::error_code code,
                         std::string message);
  /// Success: remember the result, record clearing totals, journal, then acknowledge.
  void finish(const protocol::request& req, const std::string& key, promise rp,
              protocol::txn_status outcome, int64_t amount_moved, const leg_result& player);
  void wake(const std::string& key);
  void add_clearing(const protocol::request& req, int64_t amount);
  delta_batch take_deltas();
  int64_t now_s() const;

  std::shared_ptr<const routing> routes_;
  ledger_shard_options opts_;
  std::unique_ptr<persistence::journal_stage> journal_;
  ledger::id_store ids_;
  absl::flat_hash_map<std::string, std::vector<std::function<void()>>> waiters_;
  absl::flat_hash_map<std::pair<std::string, ledger::currency_code>, ledger::clearing_delta>
      deltas_;
  uint32_t pending_ = 0;
  bool flush_armed_ = false;
};

}  // namespace settle::actors
