// Which actor owns what: an account, its changes, its journal stream and the ids of the
// transactions on it belong to the ledger shard its id hashes to.
#pragma once

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

/// Handles of the engine's actors. Filled once at start, read-only afterwards.
struct routing {
  std::vector<caf::actor> ledger_shards;  // accounts, their changes and their ids
  caf::actor registry;                    // partner and house clearing accounts
  caf::actor snapshotter;                 // the admin op `snapshot`
  caf::actor timers;                      // delivers the shards' delayed messages

  const caf::actor& shard_for(std::string_view account) const {
    return ledger_shards[shard_index(account, ledger_shards.size())];
  }
  /// The actor that answers `req` (already decoded and authorized): the account's shard, the
  /// clearing registry (`partner`, balances of house and partner accounts) or the
  /// snapshotter.
  const caf::actor& target_for(const protocol::request_view& req) const;
};

}  // namespace settle::actors
