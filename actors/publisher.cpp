#include "actors/publisher.hpp"
#include "base/invariant.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "ledger/clearing.hpp"
#include "ledger/keys.hpp"
#include "ledger/stable_hash.hpp"
#include "protocol/codec.hpp"

namespace settle::actors {

using protocol::error_code;
using protocol::event;
using protocol::event_kind;
using protocol::op_kind;

namespace {

/// The conflation key of an event: its account, or its partner and currency.
uint64_t key_of(const event& e) {
  if (e.kind == event_kind::balance)
    return ledger::stable_hash(e.account);
  if (e.kind == event_kind::alert)  // never conflated with the partner's totals
    return ~ledger::stable_hash(e.name.empty() ? e.partner : e.name);
  return ledger::stable_hash(e.partner) ^ (ledger::stable_hash(e.currency) * 0x9E3779B97F4A7C15u);
}

/// The key a starting state is compared under (partner events: partner and currency).
std::string state_key(const event& e) {
  if (e.kind == event_kind::balance)
    return e.account;
  std::string k = e.partner;
  k.push_back('\0');
  k.append(e.currency);
  return k;
}

void remove_id(std::vector<caf::actor_id>& v, caf::actor_id id) {
  auto it = std::find(v.begin(), v.end(), id);
  if (it != v.end()) {
    *it = v.back();
    v.pop_back();
  }
}

void remove_sub(absl::flat_hash_map<std::string, std::vector<uint64_t>>& by_key,
                const std::vector<std::string>& keys, uint64_t id) {
  for (const auto& k : keys) {
    auto it = by_key.find(k);
    if (it == by_key.end())
      continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), id), v.end());
    if (v.empty())
      by_key.erase(it);
  }
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

std::string listed(const std::vector<std::string>& ids) {
  std::string out;
  const size_t shown = std::min<size_t>(ids.size(), 5);
  for (size_t i = 0; i < shown; ++i)
    out += (i ? ", '" : "'") + ids[i] + "'";
  if (ids.size() > shown)
    out += " and " + std::to_string(ids.size() - shown) + " more";
  return out;
}

}  // namespace

publisher::publisher(caf::actor_config& cfg, std::shared_ptr<const routing> routes,
                     publisher_options opts)
    : caf::event_based_actor(cfg), routes_(std::move(routes)), opts_(std::move(opts)) {
  set_down_handler([this](caf::down_msg& msg) { forget_session(msg.source.id()); });
}

void publisher::on_exit() {
  subs_.clear();
  sessions_.clear();
  routes_.reset();
}

caf::behavior publisher::make_behavior() {
  // After every message: a window older than the interval goes out (a timer covers a quiet
  // engine; under load the messages come faster than timers).
  auto settle_window = [this] {
    if (frames_ && std::chrono::steady_clock::now() - window_since_ >=
                       std::chrono::microseconds(opts_.flush_interval_us))
      flush_all();
  };
  return {
      [=, this](event_batch& batch) {
        on_events(batch);
        settle_window();
      },
      [=, this](subscribe_order& order) {
        on_subscribe(order);
        settle_window();
      },
      [=, this](const unsubscribe_order& order) {
        on_unsubscribe(order);
        settle_window();
      },
      [=, this](flush_tick_atom) {
        flush_armed_ = false;
        flush_all();
      },
      [=, this](stats_atom) {
        stats_.subscriptions = subs_.size();
        stats_.sessions = sessions_.size();
        return stats_;
      },
  };
}

// -- subscriptions ------------------------------------------------------------------------------

publisher::session_entry& publisher::session_of(const caf::actor& handle) {
  auto [it, added] = sessions_.try_emplace(handle.id());
  if (added) {
    it->second.handle = handle;
    monitor(handle);  // its subscriptions end with it
  }
  return it->second;
}

void publisher::on_subscribe(subscribe_order& order) {
  subscribe_answer refusal;
  refusal.rid = order.rid;
  refusal.error = error_code::overloaded;
  if (subs_.size() >= opts_.max_subscriptions) {
    refusal.message = "the engine has max_subscriptions (" +
                      std::to_string(opts_.max_subscriptions) + ") subscriptions";
    return answer(order.session, std::move(refusal));
  }
  auto known = sessions_.find(order.session.id());
  if (known != sessions_.end() &&
      known->second.subscriptions.size() >= opts_.max_subscriptions_per_connection) {
    refusal.message = "this connection has max_subscriptions_per_connection (" +
                      std::to_string(opts_.max_subscriptions_per_connection) + ") subscriptions";
    return answer(order.session, std::move(refusal));
  }
  for (const auto& a : order.accounts) {
    if (ledger::is_reserved_account(a)) {
      refusal.error = error_code::bad_request;
      refusal.message = "field 'accounts': '" + a +
                        "' is a house or partner account; follow partner totals with "
                        "'partners' instead";
      return answer(order.session, std::move(refusal));
    }
  }
  auto& s = session_of(order.session);
  const uint64_t id = next_id_++;
  auto& sub = subs_[id];
  sub.id = id;
  sub.session = order.session.id();
  sub.rid = order.rid;
  sub.accounts = sorted_unique(std::move(order.accounts));
  sub.partners = sorted_unique(std::move(order.partners));
  sub.all = order.all;
  sub.alerts = order.alerts;
  sub.partner_check = std::move(order.partner_check);
  s.subscriptions.push_back(id);
  if (opts_.metrics)
    opts_.metrics->subscribers.store(static_cast<int64_t>(subs_.size()), std::memory_order_relaxed);
  // One reply per shard that holds named accounts and one per named partner.
  std::vector<bool> shard_named(routes_->ledger_shards.size(), false);
  for (const auto& a : sub.accounts) {
    shard_named[shard_index(a, routes_->ledger_shards.size())] = true;
    starting_accounts_[a].push_back(id);
  }
  sub.replies_left = static_cast<uint32_t>(
      std::count(shard_named.begin(), shard_named.end(), true) + sub.partners.size());
  for (const auto& p : sub.partners)
    starting_partners_[p].push_back(id);
  watch(sub, true);
  if (sub.replies_left == 0)
    finish_start(sub);
}

void publisher::watch(const subscription& sub, bool on) {
  const auto& shards = routes_->ledger_shards;
  std::vector<std::vector<std::string>> per_shard(shards.size());
  for (const auto& a : sub.accounts)
    per_shard[shard_index(a, shards.size())].push_back(a);
  for (size_t i = 0; i < shards.size(); ++i) {
    if (per_shard[i].empty() && !sub.all)
      continue;
    watch_order o{on ? sub.id : 0, std::move(per_shard[i]), sub.all,
                  on ? sub.partner_check : std::string{}};
    if (on)
      send(shards[i], watch_atom::value, std::move(o));
    else
      send(shards[i], unwatch_atom::value, std::move(o));
  }
  if (!sub.partners.empty() || sub.all) {
    watch_order o{on ? sub.id : 0, sub.partners, sub.all, {}};
    if (on)
      send(routes_->registry, watch_atom::value, std::move(o));
    else
      send(routes_->registry, unwatch_atom::value, std::move(o));
  }
}

void publisher::on_reply(watch_reply& reply) {
  auto it = subs_.find(reply.request);
  if (it == subs_.end() || it->second.active)
    return;  // ended meanwhile (its session went away)
  auto& sub = it->second;
  for (auto& e : reply.states)
    sub.states.push_back(std::move(e));
  sub.unknown.insert(sub.unknown.end(), reply.unknown.begin(), reply.unknown.end());
  sub.forbidden.insert(sub.forbidden.end(), reply.forbidden.begin(), reply.forbidden.end());
  SETTLE_ASSERT(sub.replies_left > 0, "a subscription with replies left");
  if (--sub.replies_left == 0)
    finish_start(sub);
}

void publisher::finish_start(subscription& sub) {
  auto& s = sessions_.at(sub.session);
  subscribe_answer a;
  a.rid = sub.rid;
  if (!sub.unknown.empty()) {
    a.error = error_code::unknown_account;
    a.message = "no such account: " + listed(sub.unknown);
  } else if (!sub.forbidden.empty()) {
    a.error = error_code::forbidden;
    a.message = "partner '" + sub.partner_check + "' has not transacted on " +
                listed(sub.forbidden);
  } else if (sub.overflowed) {
    a.error = error_code::overloaded;
    a.message = "more than max_held_events (" + std::to_string(opts_.max_held_events) +
                ") changes while the subscription started; retry";
  }
  if (a.error != error_code::none) {
    auto handle = s.handle;
    end(sub);  // invalidates `sub` (and `s` when it was the session's last subscription)
    return answer(handle, std::move(a));
  }
  // What the session already has goes before the answer; so do the events of keys it already
  // follows (through another subscription): their starting state would be older than those.
  flush_all();
  absl::flat_hash_map<std::string, uint64_t> state_version;
  for (const auto& e : sub.states) {
    const bool followed = s.active.all > 0 || (e.kind == event_kind::balance
                                                   ? s.active.accounts.contains(e.account)
                                                   : s.active.partners.contains(e.partner));
    if (followed)
      continue;
    state_version[state_key(e)] = e.version;
    protocol::encode_event(e, a.snapshot);
  }
  std::vector<const event*> newer;
  for (const auto& e : sub.held) {
    auto v = state_version.find(state_key(e));
    if (v != state_version.end() ? e.version > v->second
                                 : e.kind == event_kind::partner && s.active.all == 0 &&
                                       !s.active.partners.contains(e.partner))
      newer.push_back(&e);  // (a partner's first currency has no starting state)
  }
  remove_sub(starting_accounts_, sub.accounts, sub.id);
  remove_sub(starting_partners_, sub.partners, sub.id);
  activate(s, sub, true);
  sub.active = true;
  a.subscription = sub.id;
  answer(s.handle, std::move(a));
  for (const auto* e : newer) {
    ++event_seq_;  // a fresh copy: these were not encoded for this window
    add(s, *e);
  }
  sub.states = {};
  sub.held = {};
}

void publisher::activate(session_entry& s, const subscription& sub, bool on) {
  const caf::actor_id id = s.handle.id();
  auto change = [&](absl::flat_hash_map<std::string, uint32_t>& counts,
                    absl::flat_hash_map<std::string, std::vector<caf::actor_id>>& by_key,
                    const std::string& k) {
    if (on) {
      if (counts[k]++ == 0)
        by_key[k].push_back(id);
      return;
    }
    auto c = counts.find(k);
    SETTLE_ASSERT(c != counts.end() && c->second > 0,
                  "a subscriber was counted for its connection");
    if (--c->second > 0)
      return;
    counts.erase(c);
    auto b = by_key.find(k);
    if (b != by_key.end()) {
      remove_id(b->second, id);
      if (b->second.empty())
        by_key.erase(b);
    }
  };
  for (const auto& a : sub.accounts)
    change(s.active.accounts, by_account_, a);
  for (const auto& p : sub.partners)
    change(s.active.partners, by_partner_, p);
  if (sub.all) {
    if (on && s.active.all++ == 0)
      all_sessions_.push_back(id);
    if (!on && --s.active.all == 0)
      remove_id(all_sessions_, id);
  }
  if (sub.alerts) {
    if (on && s.active.alerts++ == 0)
      alert_sessions_.push_back(id);
    if (!on && --s.active.alerts == 0)
      remove_id(alert_sessions_, id);
  }
}

void publisher::end(subscription& sub) {
  auto s = sessions_.find(sub.session);
  if (sub.active) {
    if (s != sessions_.end())
      activate(s->second, sub, false);
  } else {
    remove_sub(starting_accounts_, sub.accounts, sub.id);
    remove_sub(starting_partners_, sub.partners, sub.id);
  }
  watch(sub, false);
  const uint64_t id = sub.id;
  subs_.erase(id);
  if (opts_.metrics)
    opts_.metrics->subscribers.store(static_cast<int64_t>(subs_.size()), std::memory_order_relaxed);
  if (s != sessions_.end()) {
    auto& list = s->second.subscriptions;
    list.erase(std::remove(list.begin(), list.end(), id), list.end());
    if (list.empty()) {
      flush_all();  // its window shares the frames of the others'
      demonitor(s->second.handle);
      sessions_.erase(s);
    }
  }
}

void publisher::on_unsubscribe(const unsubscribe_order& order) {
  subscribe_answer a;
  a.op = op_kind::unsubscribe;
  a.rid = order.rid;
  auto it = subs_.find(order.subscription);
  if (it == subs_.end() || it->second.session != order.session.id() || !it->second.active) {
    a.error = error_code::bad_request;
    a.message = "no subscription " + std::to_string(order.subscription) + " on this connection";
    return answer(order.session, std::move(a));
  }
  // Its events so far go before the answer; none after it.
  flush_all();
  end(it->second);
  answer(order.session, std::move(a));
}

void publisher::forget_session(caf::actor_id id) {
  auto s = sessions_.find(id);
  if (s == sessions_.end())
    return;
  auto ids = s->second.subscriptions;  // end() edits the list and, at the last, the entry
  for (auto sid : ids)
    if (auto it = subs_.find(sid); it != subs_.end())
      end(it->second);
}

void publisher::answer(const caf::actor& session, subscribe_answer a) {
  send(session, std::move(a));
}

// -- events ---------------------------------------------------------------------------------------

void publisher::on_events(event_batch& batch) {
  routes_->events->handled(batch.events.size());
  stats_.events += batch.events.size();
  const uint64_t dropped = routes_->events->dropped.load(std::memory_order_relaxed);
  if (dropped != dropped_seen_) {
    dropped_seen_ = dropped;
    close_everything("the engine could not publish every event (more than "
                     "max_queued_events waiting for the publisher); subscribe again");
  }
  if (opts_.partner_feed) {
    std::vector<event> partners;
    for (const auto& e : batch.events)
      if (e.kind == event_kind::partner)
        partners.push_back(e);
    if (!partners.empty())
      opts_.partner_feed(std::move(partners));
  }
  size_t next = 0;
  for (auto& [position, reply] : batch.replies) {
    for (; next < position && next < batch.events.size(); ++next)
      route(batch.events[next]);
    on_reply(reply);
  }
  for (; next < batch.events.size(); ++next)
    route(batch.events[next]);
}

void publisher::route(const event& e) {
  ++event_seq_;
  for (auto id : all_sessions_)
    add(sessions_.at(id), e);
  if (e.kind == event_kind::alert && !e.name.empty()) {  // an [[alerts]] rule's
    for (auto id : alert_sessions_)
      add(sessions_.at(id), e);
    return;
  }
  const bool balance = e.kind == event_kind::balance;
  const std::string& name = balance ? e.account : e.partner;
  auto& by_key = balance ? by_account_ : by_partner_;
  if (auto it = by_key.find(name); it != by_key.end())
    for (auto id : it->second)
      add(sessions_.at(id), e);
  auto& starting = balance ? starting_accounts_ : starting_partners_;
  if (auto it = starting.find(name); it != starting.end()) {
    for (auto sid : it->second) {
      auto& sub = subs_.at(sid);
      if (sub.held.size() >= opts_.max_held_events)
        sub.overflowed = true;
      else
        sub.held.push_back(e);
    }
  }
}

void publisher::add(session_entry& s, const event& e) {
  if (s.last_event == event_seq_)
    return;  // it follows this key through more than one subscription
  s.last_event = event_seq_;
  if (!frames_) {
    frames_ = std::make_shared<std::vector<char>>();
    window_since_ = std::chrono::steady_clock::now();
    arm_flush();
  }
  if (encoded_seq_ != event_seq_) {
    // Encoded once per event, whoever gets it.
    encoded_seq_ = event_seq_;
    const size_t at = frames_->size();
    protocol::encode_event(e, *frames_);
    encoded_ = {key_of(e), static_cast<uint32_t>(at), static_cast<uint32_t>(frames_->size() - at)};
  }
  s.window.push_back(encoded_);
}

void publisher::flush_all() {
  // Every window points into the same frames: they go out together, and the frames are
  // shared (read-only) from here on; later events go into a new buffer.
  if (!frames_)
    return;
  std::shared_ptr<const std::vector<char>> frames = frames_;
  for (auto& [id, s] : sessions_) {
    if (s.window.empty())
      continue;
    send(s.handle, event_delivery{frames, std::move(s.window)});
    s.window = {};
    ++stats_.deliveries;
  }
  frames_.reset();
  encoded_seq_ = 0;
}

void publisher::arm_flush() {
  if (flush_armed_)
    return;
  flush_armed_ = true;
  delayed_send(this, std::chrono::microseconds(opts_.flush_interval_us), flush_tick_atom::value);
}

void publisher::close_everything(const std::string& reason) {
  std::vector<caf::actor_id> ids;
  for (auto& [id, s] : sessions_)
    ids.push_back(id);
  for (auto id : ids) {
    auto s = sessions_.find(id);
    if (s == sessions_.end())
      continue;
    auto handle = s->second.handle;
    s->second.window.clear();
    forget_session(id);
    send(handle, stream_closed{reason});
  }
}

}  // namespace settle::actors
