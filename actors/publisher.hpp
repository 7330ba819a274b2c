// Subscriptions to balance and partner events: who follows what, the current state a new
// subscription starts from, and the fan-out of journaled events to the sessions.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"
#include "actors/routing.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::actors {

/// Limits and timings of the event streams.
struct publisher_options {
  uint32_t max_subscriptions = 10'000;              // in the whole engine
  uint32_t max_subscriptions_per_connection = 64;
  uint32_t max_held_events = 10'000;  // events held for one subscription while its starting
                                      // state is collected; beyond it the subscribe fails
  uint32_t flush_interval_us = 1000;  // a connection gets its events at most this often, in
                                      // one message (one write) per interval
  /// Partner events also go here (Redis publishing), if set. Called on the publisher's thread.
  std::function<void(std::vector<protocol::event>)> partner_feed;
  std::shared_ptr<metrics::engine_metrics> metrics;  // subscriptions counted (null: not)
};

/// A session asks to follow accounts, partners or everything.
struct subscribe_order {
  caf::actor session;
  uint64_t rid = 0;
  std::vector<std::string> accounts, partners;
  bool all = false;
  bool alerts = false;  // the [[alerts]] rules' alerts
  std::string partner_check;  // partner tokens: each account must have seen this partner
};

/// A session ends one of its subscriptions.
struct unsubscribe_order {
  caf::actor session;
  uint64_t rid = 0;
  uint64_t subscription = 0;
};

/// The answer to a subscribe_order or unsubscribe_order. For a subscription: the frames of the
/// starting state follow the answer, before any event of it.
struct subscribe_answer {
  protocol::op_kind op = protocol::op_kind::subscribe;
  uint64_t rid = 0;
  protocol::error_code error = protocol::error_code::none;
  std::string message;
  uint64_t subscription = 0;
  std::vector<char> snapshot;  // encoded event frames
};

/// One event inside an event_delivery's frames.
struct event_ref {
  uint64_t key = 0;     // hash of the account, or of partner and currency (conflation)
  uint32_t offset = 0;  // where its frame starts
  uint32_t bytes = 0;   // the frame's length
};

/// Events for one session, as encoded frames shared by every session that gets them.
struct event_delivery {
  std::shared_ptr<const std::vector<char>> frames;
  std::vector<event_ref> refs;
};

/// The engine ends a session's streams (the publisher fell behind); the session says why and
/// closes the connection.
struct stream_closed {
  std::string reason;
};

/// Counters for tests and the demo.
struct publisher_stats {
  uint64_t subscriptions = 0;  // active and starting
  uint64_t sessions = 0;       // with at least one subscription
  uint64_t events = 0;         // events received from the sources
  uint64_t deliveries = 0;     // event_delivery messages sent
};

/// The actor. Sources (ledger shards, clearing actors, the registry) send event_batch
/// messages; sessions send subscribe_order and unsubscribe_order.
class publisher : public caf::event_based_actor {
public:
  publisher(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
            publisher_options opts);

  caf::behavior make_behavior() override;
  void on_exit() override;

private:
  /// Keys a session receives events of, each with how many of its subscriptions name it.
  struct interest {
    absl::flat_hash_map<std::string, uint32_t> accounts, partners;
    uint32_t all = 0, alerts = 0;
  };

  struct session_entry {
    caf::actor handle;
    interest active;
    std::vector<uint64_t> subscriptions;
    std::vector<event_ref> window;  // events of the current window for it
    uint64_t last_event = 0;        // the last event added (one copy per event)
  };

  struct subscription {
    uint64_t id = 0;
    caf::actor_id session = 0;
    std::vector<std::string> accounts, partners;
    bool all = false, alerts = false;
    std::string partner_check;
    bool active = false;
    // While starting: what the sources answered, and the events that came meanwhile.
    uint64_t rid = 0;
    uint32_t replies_left = 0;
    std::vector<protocol::event> states;
    std::vector<std::string> unknown, forbidden;
    std::vector<protocol::event> held;
    bool overflowed = false;
  };

  void on_subscribe(subscribe_order& order);
  void on_unsubscribe(const unsubscribe_order& order);
  void on_events(event_batch& batch);
  void on_reply(watch_reply& reply);
  /// All replies are in: answers the session and, on success, starts the events.
  void finish_start(subscription& sub);
  /// Sends the unwatch orders of `sub` and forgets it.
  void end(subscription& sub);
  void watch(const subscription& sub, bool on);
  void activate(session_entry& s, const subscription& sub, bool on);
  void route(const protocol::event& e);
  void add(session_entry& s, const protocol::event& e);
  void answer(const caf::actor& session, subscribe_answer a);
  void flush_all();
  void arm_flush();
  /// The sources dropped events (event_gate): every stream is closed, since nobody can say
  /// which changes its subscriber missed.
  void close_everything(const std::string& reason);
  void forget_session(caf::actor_id id);
  session_entry& session_of(const caf::actor& handle);

  std::shared_ptr<const routing> routes_;
  publisher_options opts_;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, subscription> subs_;
  absl::flat_hash_map<caf::actor_id, session_entry> sessions_;
  // Sessions with an active interest, by key; sessions following everything.
  absl::flat_hash_map<std::string, std::vector<caf::actor_id>> by_account_, by_partner_;
  std::vector<caf::actor_id> all_sessions_;
  std::vector<caf::actor_id> alert_sessions_;  // sessions with an `alerts` subscription
  // Subscriptions still starting, by key (they hold the events of their keys meanwhile).
  absl::flat_hash_map<std::string, std::vector<uint64_t>> starting_accounts_, starting_partners_;

  // The current window: event frames shared by this window's deliveries.
  std::shared_ptr<std::vector<char>> frames_;
  uint64_t event_seq_ = 0;        // events seen
  uint64_t encoded_seq_ = 0;      // the event whose frame ends frames_
  event_ref encoded_{};
  bool flush_armed_ = false;
  std::chrono::steady_clock::time_point window_since_{};
  uint64_t dropped_seen_ = 0;
  publisher_stats stats_;
};

}  // namespace settle::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::subscribe_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::unsubscribe_order)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::subscribe_answer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::event_delivery)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::stream_closed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(settle::actors::publisher_stats)
