// Which actor owns what: an account, its changes, its journal stream and the ids of the
// transactions on it belong to the ledger shard its id hashes to.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <caf/actor.hpp>

#include "ledger/stable_hash.hpp"
#include "protocol/messages.hpp"

namespace settle::actors {

/// The shard index of `account` among `shards` (also its journal stream's index).
inline uint32_t shard_index(std::string_view account, size_t shards) {
  return static_cast<uint32_t>(ledger::stable_hash(account) % shards);
}

/// Counts events on their way to the publisher, so the sources stop sending before its mailbox
/// grows without bound (the publisher then closes every stream: it cannot say what was lost).
struct event_gate {
  explicit event_gate(int64_t max) : max_queued(max) {}
  const int64_t max_queued;
  std::atomic<int64_t> queued{0};    // sent, not yet handled by the publisher
  std::atomic<uint64_t> dropped{0};  // refused here

  /// True (and counted as queued) when `n` more events fit.
  bool admit(size_t n) {
    if (queued.load(std::memory_order_relaxed) + static_cast<int64_t>(n) > max_queued) {
      dropped.fetch_add(n, std::memory_order_relaxed);
      return false;
    }
    queued.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed);
    return true;
  }
  void handled(size_t n) { queued.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed); }
};

/// Handles of the engine's actors. Filled once at start, read-only afterwards.
struct routing {
  std::vector<caf::actor> ledger_shards;  // accounts, their changes and their ids
  caf::actor registry;                    // partner and house clearing accounts
  caf::actor snapshotter;                 // the admin op `snapshot`
  caf::actor timers;                      // delivers the shards' delayed messages
  caf::actor publisher;                   // subscriptions and their events
  caf::actor settlement;                  // partner settlement ops, closes, gates
  caf::actor auditor;                     // the audit stream: admin ops, and `audit`
  std::shared_ptr<event_gate> events;     // bounds what is on its way to the publisher

  const caf::actor& shard_for(std::string_view account) const {
    return ledger_shards[shard_index(account, ledger_shards.size())];
  }
  /// The actor that answers `req` (already decoded and authorized): the account's shard, the
  /// clearing registry (`partner`, balances of house and partner accounts), the
  /// snapshotter or the settlement actor (the settlement ops).
  const caf::actor& target_for(const protocol::request_view& req) const;
};

}  // namespace settle::actors
