// Owns the transaction ids hashed to it and drives each transaction through its accounts:
// idempotency, rollback bookkeeping and clearing deltas. The account actors journal each leg
// before they answer, so whatever this shard acknowledges is durable.
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

namespace settle::actors {

/// Limits and timings of a ledger shard.
struct ledger_shard_options {
  int64_t max_amount = 1'000'000'000'000;
  int64_t id_retention_s = 7 * 24 * 3600;
  uint32_t partner_flush_interval_us = 1000;
  uint32_t max_pending = 100000;  // transactions in flight in this shard before `overloaded`
  uint32_t id_sweep_interval_s = 60;
  uint32_t journal_retry_ms = 100;  // a committed transfer's credit is retried this often
};

/// One ledger shard. Transactions whose (namespace, id) hash here are serialized here, so
/// racing retries of one id see each other; the money moves in the account actors.
class ledger_shard : public caf::event_based_actor {
public:
  /// `ids`: the recovered ids of this shard.
  ledger_shard(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
               ledger_shard_options opts, std::vector<std::pair<std::string, ledger::id_entry>> ids);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

private:
  /// The client's request: answered at most once (an `unavailable` may go out before the
  /// transaction's outcome is known).
  struct call {
    caf::typed_response_promise<protocol::response> rp;
    uint64_t rid = 0;
    bool answered = false;
    void answer(protocol::response resp);
  };
  using call_ptr = std::shared_ptr<call>;
  using leg_next = std::function<void(leg_result&)>;

  void handle_txn(const protocol::request& req, call_ptr c);
  void handle_ref(const ref_query& q, caf::typed_response_promise<ref_answer> rp);
  void apply_simple(const protocol::request& req, const std::string& key, call_ptr c);
  void apply_rollback(const protocol::request& req, const std::string& key, call_ptr c);
  void apply_transfer(const protocol::request& req, const std::string& key, call_ptr c);
  /// Credits a transfer's target once its debit is durable; retried until it lands.
  void transfer_credit(const protocol::request& req, const std::string& key, call_ptr c,
                       leg_result src);
  /// Gives a transfer's debit back (the target refused); retried until it lands.
  void transfer_refund(const protocol::request& req, const std::string& key, call_ptr c,
                       protocol::error_code code, std::string why);

  /// The journal record fields of `req`'s leg.
  leg_request make_leg(const protocol::request& req, const std::string& key, ledger::leg l,
                       persistence::leg_role role);
  /// Sends a leg to its account; an uncertain outcome answers `unavailable` and parks `next`
  /// until the account reports the final one.
  void send_leg(const std::string& account, leg_request lr, const std::string& key, call_ptr c,
                leg_next next);
  /// The transaction's outcome is not known yet: answer `unavailable`, keep the id pending.
  void hold(const std::string& key, const call_ptr& c, const std::string& why);
  /// Runs `fn` after journal_retry_ms.
  void later(const std::string& key, std::function<void()> fn);

  /// A refusal: forget the id (refusals are not remembered), answer with the account's
  /// balance when it is known, and let waiters on the id proceed.
  void refuse(const protocol::request& req, const std::string& key, call_ptr c,
              protocol::error_code code, std::string message);
  /// A refusal decided before any id was reserved.
  void refuse_unreserved(const protocol::request& req, call_ptr c, protocol::error_code code,
                         std::string message);
  /// Success (every leg durable): remember the result, record clearing totals, acknowledge.
  void finish(const protocol::request& req, const std::string& key, call_ptr c,
              protocol::txn_status outcome, int64_t amount_moved, const leg_result& player);
  void wake(const std::string& key);
  void add_clearing(const protocol::request& req, int64_t amount);
  delta_batch take_deltas();
  int64_t now_s() const;

  std::shared_ptr<const routing> routes_;
  ledger_shard_options opts_;
  ledger::id_store ids_;
  absl::flat_hash_map<std::string, std::vector<std::function<void()>>> waiters_;
  absl::flat_hash_map<std::string, leg_next> stalled_;  // id key -> what follows its leg
  absl::flat_hash_map<std::string, std::function<void()>> retries_;
  absl::flat_hash_map<std::pair<std::string, ledger::currency_code>, ledger::clearing_delta>
      deltas_;
  uint32_t pending_ = 0;
  bool flush_armed_ = false;
};

}  // namespace settle::actors
