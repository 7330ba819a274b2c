// One ledger shard: the accounts hashed to it (as virtual account actors: their changes are
// serialized here, in arrival order), the ids of the transactions on them, and their journal
// stream. Changes are applied at once and journaled in chunks; an answer goes out only when
// everything applied before it is durable, and a chunk that does not land is undone together
// with everything applied after it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <caf/event_based_actor.hpp>
#include <caf/io/broker.hpp>
#include <caf/response_promise.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "metrics/engine_metrics.hpp"
#include "ledger/account_rules.hpp"
#include "ledger/apply.hpp"
#include "ledger/decide.hpp"
#include "ledger/history.hpp"
#include "ledger/id_store.hpp"
#include "ledger/partner_marks.hpp"
#include "persistence/journal.hpp"

namespace settle::actors {

/// Limits and timings of a ledger shard.
struct ledger_shard_options {
  int64_t max_amount = 1'000'000'000'000;
  int64_t id_retention_s = 7 * 24 * 3600;
  uint32_t partner_flush_interval_us = 1000;
  uint32_t max_pending = 100000;  // answers waiting for the journal before `overloaded`
  uint32_t id_sweep_interval_s = 60;  // every remembered id is looked at once per interval,
                                      // a few stripes of the store per second
  uint32_t journal_retry_ms = 100;  // a committed transfer's credit is retried this often
  uint32_t transfer_answer_ms = 1000;  // a transfer still under way this long is answered
                                       // `unavailable` (it goes on; a retry learns the end)
  ledger::history_limits history;  // what each account's history keeps
};

/// What the shard is built with.
struct ledger_shard_setup {
  uint32_t index = 0;
  std::shared_ptr<const routing> routes;
  std::shared_ptr<ledger::id_store> ids;  // shared by every shard
  std::shared_ptr<persistence::journal_writer> journal;  // null: nothing is journaled
  ledger_shard_options opts;
  ledger::account_map accounts;  // recovered
  ledger::partner_spill partner_spill;  // recovered partner marks beyond the accounts' bits
  std::shared_ptr<metrics::engine_metrics> metrics;  // accounts counted here (null: not)
  ledger::history_log history;  // recovered (its limits are the shard's)
};

/// The actor. Sessions send request_batch messages and get reply_batch messages back; tools
/// and tests may send one protocol::request and get a protocol::response.
class ledger_shard : public caf::io::broker {
public:
  using account_map = ledger::account_map;

  ledger_shard(caf::actor_config& cfg, ledger_shard_setup setup);

  caf::behavior make_behavior() override;
  /// Drops the handles it holds: actors referencing each other would otherwise never be freed.
  void on_exit() override;

  /// What an item changed, so it can be undone.
  enum effect : uint8_t {
    account_changed = 1,   // `before` holds the account's state before the item
    second_changed = 2,    // `before2`: the transfer target (both accounts in this shard)
    account_created = 4,   // an open: the account is removed again
    id_reserved = 8,       // the transaction's id entry is erased again
    ref_marked = 16,       // a rollback marked its bet rolled back
    tombstone_left = 32,   // a rollback left a tombstone for its bet
  };

private:
  /// Requests received together, kept until every answer that refers to them went out.
  struct held_batch {
    std::shared_ptr<const void> owner;
    std::vector<protocol::request_view> requests;
    caf::actor session;             // reply_batch goes here...
    caf::response_promise promise;  // ...or, for a single request, a protocol::response
    uint32_t waiting = 0;           // items that still refer to it
    int64_t received_ns = 0;        // request_batch's, copied into every reply
  };

  /// What to do once an item is durable, besides answering.
  enum class follow_up : uint8_t {
    none,
    transfer_debit,   // a cross-shard transfer's debit: now credit the target
    transfer_refund,  // money given back: the transfer is refused
    transfer_refused, // refused before any money moved
    credit_answer,    // the target side of a transfer: tell the source's shard
    barrier,          // a period close: everything before it is durable (shard_settlement)
  };

  struct transfer;

  /// One answer waiting for the journal (and, until then, how to undo what it did).
  struct item {
    uint64_t chunk = 0;            // answered once this chunk is durable
    held_batch* batch = nullptr;   // the request (null: an internal step)
    uint32_t index = 0;
    uint8_t effects = 0;
    follow_up then = follow_up::none;
    bool answered = false;         // `unavailable` already went out (journal in doubt)
    ledger::account_state before, before2;
    ledger::clearing_leg clearing;  // added to its partner's (or the house's) totals
    reply answer;
    std::shared_ptr<transfer> xfer;   // transfer steps
    caf::response_promise promise;    // credit_answer
  };

  /// A transfer whose target lives in another shard, under way.
  struct transfer {
    enum class stage : uint8_t { checking, debiting, crediting, refunding };
    protocol::request req;  // owned copy of the client's request
    ledger::id_hash key;
    uint64_t fingerprint = 0;
    caf::actor session;
    caf::response_promise promise;
    stage at = stage::checking;
    bool answered = false;      // the client has its answer (maybe `unavailable`)
    ledger::account_state source_after;  // the source after the debit
    ledger::id_entry remembered;         // what its id keeps once the credit has landed
    protocol::error_code refusal = protocol::error_code::none;  // while refunding
    std::string refusal_message;
    std::vector<held_batch> parked;  // retries of its id, handled once it ends
  };

  // -- handlers (ledger_shard.cpp) --
  void on_batch(request_batch& in);
  caf::result<protocol::response> on_single(protocol::request& req);
  void on_transfer_retry(const ledger::id_hash& key);
  void on_transfer_late(const ledger::id_hash& key);
  /// Expires remembered ids, a few of the shard's stripes of the store per second.
  void sweep_ids();
  shard_stats stats() const;
  /// A copy of the accounts and partner marks (tests and tools: the live state, compared with
  /// what the journal folds into).
  shard_dump dump() const;

  // -- intake (ledger_shard.cpp) --
  void take(held_batch batch);
  /// `key`: the id's hash (txn requests), computed when the batch was prefetched.
  void handle(held_batch& b, uint32_t i, const ledger::id_hash& key);
  /// Answers at once (nothing was applied, nothing to wait for).
  void answer_now(held_batch& b, uint32_t i, reply r);
  /// Queues an answer behind the journal: `it` carries the effects of the request.
  void answer_later(item it);
  item make_item(held_batch* b, uint32_t i);
  /// The chunk an answer queued now must wait for.
  uint64_t wait_chunk() const;
  void append(const persistence::record_view& rec);
  void arm_chunk();
  void flush_chunk();
  /// Sends `msg` to this shard after `delay`, through the timer relay (see timer_relay).
  void later(caf::timespan delay, caf::message msg);
  /// After every message: release what is durable, send the answers, journal what is new.
  void end_turn();

  // -- journal outcomes (ledger_shard.cpp) --
  void on_outcome(uint64_t first, uint64_t last, persistence::durability d);
  void release();
  void commit(item& it);
  /// Undoes every item waiting for chunk `first` or later, newest first.
  void undo_from(uint64_t first, const std::string& why);
  void undo(item& it, const std::string& why);
  /// The id store's part of an undo: the id reserved, the bet marked or the tombstone left.
  void undo_ids(const item& it, const protocol::request_view& r);
  void deliver(item& it, reply r);
  void deliver_to(const caf::actor& session, const caf::response_promise& promise, reply r);
  void send_replies();
  void drop_released_batches();

  // -- balance events (shard_events.cpp) --
  bool watching() const { return watch_all_ > 0 || !watched_.empty(); }
  /// A change about to be journaled: queued as an event when its account is watched.
  void note_change(const persistence::record_view& rec);
  void on_watch(std::shared_ptr<const watch_order> order);
  void on_unwatch(const watch_order& order);
  /// Queues the reply to `order` with the named accounts as they stand now.
  void queue_watch_reply(std::shared_ptr<const watch_order> order);
  /// Events and replies whose chunks are durable go to the publisher.
  void release_events();
  /// Drops what waits for chunk `first` or later (undone); replies among it are taken again.
  void drop_events_from(uint64_t first);
  /// Marks `partner` on an account a bet, win or rollback of it just changed.
  void mark(ledger::account_state& st, std::string_view account, std::string_view partner);

  // -- rules (shard_txn.cpp): ledger/decide.hpp decides, ledger/apply.hpp describes the change --
  void on_txn(held_batch& b, uint32_t i, const ledger::id_hash& key);
  void on_simple(held_batch& b, uint32_t i, const ledger::id_hash& key, uint64_t fp);
  void on_rollback(held_batch& b, uint32_t i, const ledger::id_hash& key, uint64_t fp);
  void on_open(held_batch& b, uint32_t i);
  void on_status(held_batch& b, uint32_t i);
  void on_balance(held_batch& b, uint32_t i);
  /// The account's recent changes (shard_history.cpp).
  void on_history(held_batch& b, uint32_t i);
  /// A refusal queued behind the journal, with the account's balance when it exists.
  void refuse(held_batch& b, uint32_t i, protocol::error_code code, std::string message);
  /// A refusal or a duplicate, queued behind the journal.
  void answer_unapplied(held_batch& b, uint32_t i, ledger::verdict v);
  /// The entry that holds a new id while its decision needs more than one step.
  ledger::id_entry pending_entry(const protocol::request_view& r, uint64_t fp) const;
  /// Carries out a state change on its account (the id effects are the caller's: they happen
  /// under the id store's lock, where the entries were read).
  /// `rec`: the change's record, kept in the account's history (undone with the account).
  void change_account(ledger::account_state& acc, std::string_view account,
                      const ledger::state_change& c, const persistence::record_view& rec);
  void add_clearing(const ledger::clearing_leg& leg);
  delta_batch take_deltas();

  // -- settlement (shard_settlement.cpp) --
  /// Now, never before the newest period close seen (so every record stamped after a close
  /// belongs to the next period, even if the wall clock steps back).
  void refresh_now();
  void on_gate(partner_gate_update& update);
  /// The gate of `r`'s partner (counting it against the partner's max_tps).
  ledger::partner_gate gate_for(const protocol::request_view& r);
  /// Answers once everything applied before it is durable (or undone): the records of a
  /// close's period are then all in the journal.
  caf::result<bool> on_barrier(int64_t to_unix_ms);

  // -- transfers (shard_transfer.cpp) --
  void on_transfer(held_batch& b, uint32_t i, const ledger::id_hash& key, uint64_t fp);
  /// A retry of a transfer under way here: parked until it ends (or answered `unavailable`).
  void transfer_retry_waits(held_batch& b, uint32_t i, const ledger::id_hash& key);
  void transfer_local(held_batch& b, uint32_t i, const ledger::id_hash& key, uint64_t fp);
  void transfer_checked(const std::shared_ptr<transfer>& t, leg_verdict v);
  void transfer_credit_now(const std::shared_ptr<transfer>& t);
  void transfer_credited(const std::shared_ptr<transfer>& t, leg_verdict v);
  void transfer_refund(const std::shared_ptr<transfer>& t);
  /// Ends a transfer: erases or finishes its id, answers, handles parked retries.
  void transfer_end(const std::shared_ptr<transfer>& t, reply r, bool keep_id);
  void transfer_answer(const std::shared_ptr<transfer>& t, reply r);
  void transfer_later(const std::shared_ptr<transfer>& t);
  leg_verdict check_target(const std::string& account, const std::string& currency);
  caf::result<leg_verdict> credit_target(transfer_credit& c);

  uint32_t index_;
  std::shared_ptr<const routing> routes_;
  std::shared_ptr<ledger::id_store> ids_;
  std::shared_ptr<persistence::journal_writer> journal_;
  ledger_shard_options opts_;
  ledger::txn_limits limits_;
  account_map accounts_;

  std::deque<held_batch> batches_;
  std::deque<item> items_;
  absl::flat_hash_map<ledger::id_hash, std::shared_ptr<transfer>, ledger::id_store::hasher>
      transfers_;

  // Chunks: `open_` collects records; chunks up to last_live_ are handed to the journal and
  // not undone; everything up to durable_ is durable.
  persistence::journal_chunk open_;
  uint64_t last_live_ = 0;
  uint64_t durable_ = 0;
  uint64_t epoch_start_ = 1;  // first chunk of the current epoch (older reports are stale)
  uint64_t live_before_epoch_ = 0;  // last_live_ when the current epoch began
  uint64_t in_doubt_from_ = 0;  // 0: no chunk in doubt
  bool chunk_armed_ = false;
  int64_t now_ms_ = 0;  // unix ms, refreshed per message (records' timestamps)

  // Answers released but not yet sent, per session.
  std::vector<std::pair<caf::actor, std::vector<reply>>> outgoing_;
  absl::flat_hash_map<caf::actor_id, size_t> outgoing_index_;

  // Clearing deltas since the last flush: partner ("" = house) -> per currency.
  absl::flat_hash_map<std::string, std::vector<ledger::clearing_delta>> deltas_;
  using clock = std::chrono::steady_clock;
  clock::time_point deltas_since_{};  // when the oldest unsent delta was added
  bool flush_armed_ = false;
  size_t sweep_next_ = 0;  // the next of this shard's id store stripes to sweep

  // Settlement: each gated partner's restrictions; the newest close seen.
  struct gate_state {
    bool suspended = false, credit_exhausted = false;
    std::shared_ptr<rate_window> rate;
  };
  absl::flat_hash_map<std::string, gate_state> gates_;
  int64_t close_floor_ms_ = 0;

  // Partners that transacted on each account (who may follow its balance).
  ledger::partner_spill partner_spill_;
  std::shared_ptr<metrics::engine_metrics> metrics_;  // null: nothing counted
  ledger::partner_bit_memo partner_bits_;
  ledger::history_log history_;  // the accounts' recent changes
  int64_t history_expired_s_ = 0;

  // Balance events: watched accounts (with how many subscriptions name each), and the events
  // and watch replies waiting for their chunk to be durable, in journal order.
  struct pending_event {
    uint64_t chunk = 0;
    protocol::event ev;
    std::shared_ptr<const watch_order> order;  // set: a watch reply, `reply` taken now
    watch_reply reply;
  };
  absl::flat_hash_map<std::string, uint32_t> watched_;
  uint32_t watch_all_ = 0;
  std::deque<pending_event> pending_events_;
  std::vector<std::shared_ptr<const watch_order>> retake_;  // replies undone: taken again
};

}  // namespace settle::actors
