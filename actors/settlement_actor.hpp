// Partner settlement (docs/settlement.md): serves the settlement ops, closes periods (on
// request and at each contract's boundary) with a barrier across the ledger shards, keeps
// the open periods' live totals from the shards' clearing deltas, and sets the shards'
// partner gates (suspension, exhausted supplier credit, max_tps). Its rules are
// ledger/settlement_book's; every change is journaled in the settlement stream before it is
// applied or answered. Runs detached: the settlement store blocks on Redis.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "ledger/reconcile.hpp"
#include "ledger/settlement_book.hpp"
#include "ledger/settlement_live.hpp"
#include "metrics/engine_metrics.hpp"
#include "persistence/settlement_store.hpp"

namespace settle::actors {

struct settlement_options {
  /// Null: no journal, so no settlement (every settlement op is refused).
  std::shared_ptr<persistence::settlement_store> store;
  /// Journal entries from this Unix ms on are kept past snapshots (null: nothing to hold).
  std::shared_ptr<std::atomic<int64_t>> journal_hold;
  int64_t hold_margin_ms = 60'000;  // the store's scan margin
  uint32_t tick_ms = 1000;          // due closes, credit and reconcile expiry looked at
  uint32_t max_reconciles = 16;     // chunked reconciles open at once
  uint32_t reconcile_idle_s = 600;  // an unfinished chunked reconcile is dropped after this
  std::shared_ptr<metrics::engine_metrics> metrics;  // credit alerts firing (null: not)
};

class settlement_actor : public caf::event_based_actor {
public:
  settlement_actor(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
                   settlement_options opts, ledger::settlement_book recovered,
                   ledger::live_view live = {});
  caf::behavior make_behavior() override;
  void on_exit() override;

private:
  /// A close waiting for (or going through) its barrier.
  struct close_job {
    std::string partner;
    int64_t to_unix_ms = 0;
    bool automatic = false;
    caf::response_promise promise;  // manual closes
    protocol::request req;          // manual closes: what to answer
  };
  /// A chunked reconcile under way.
  struct reconcile_job {
    std::string partner;
    uint64_t period = 0;
    std::unique_ptr<ledger::reconciler> engine;
    int64_t touched_unix_ms = 0;
  };

  // -- ops (settlement_actor.cpp) --
  caf::result<protocol::response> serve(const protocol::request& req);
  protocol::response on_contract_set(const protocol::request& req);
  protocol::response on_contract(const protocol::request& req) const;
  protocol::response on_statements(const protocol::request& req) const;
  protocol::response on_statement(const protocol::request& req) const;
  protocol::response on_fx(const protocol::request& req);
  protocol::response on_topup(const protocol::request& req);
  protocol::response on_suspension(const protocol::request& req);
  protocol::response on_reconcile(const protocol::request& req);
  /// Journals `rec`, then applies it. "" or why not (the state is unchanged then).
  std::string commit(const ledger::settlement_record& rec);
  /// Answers a verdict that needs no record, a refusal, or commits its record.
  protocol::response settle_verdict(const protocol::request& req, ledger::settlement_verdict v,
                                    std::shared_ptr<protocol::settlement_answer> ok);

  // -- reconcile (settlement_reconcile.cpp) --
  protocol::response reconcile_chunk(const protocol::request& req);

  // -- closes (settlement_close.cpp) --
  void queue_close(close_job job);
  void next_close();
  /// After the barrier: collects the period from the journal, writes the statement.
  protocol::response finish_close(const close_job& job);
  void on_tick();

  // -- live totals, credit and gates (settlement_gates.cpp) --
  void on_deltas(const delta_batch& batch);
  /// A supplier's credit left now (top-ups - closed shares - the open period's live share).
  int64_t credit_now(const std::string& supplier) const;
  /// Looks at every supplier's credit (alerts, exhausted gates) and sends changed gates.
  void refresh_gates();
  void send_gate(const std::string& partner, partner_gate_update update);
  /// Moves the journal hold to the oldest open period.
  void update_hold();

  std::shared_ptr<const routing> routes_;
  settlement_options opts_;
  ledger::settlement_book book_;

  std::deque<close_job> closes_;  // front: under way
  bool barrier_pending_ = false;
  std::set<std::string> stuck_;   // automatic closes refused (fx_missing): retried on fx_set

  // The open periods' totals (ledger/settlement_live): from the journal at start, then as
  // the shards' deltas arrive.
  ledger::live_view live_;
  // What each shard was last told, per partner.
  struct gate_sent {
    bool suspended = false, credit_exhausted = false;
    uint32_t max_tps = 0;
  };
  std::map<std::string, gate_sent> gates_;
  std::map<std::string, std::shared_ptr<rate_window>> rates_;
  std::set<std::string> below_alert_;  // suppliers under credit_alert (alerted once)

  std::map<std::string, reconcile_job> reconciles_;
};

}  // namespace settle::actors
