// Which actor owns what: accounts by hash of id, transaction ids by hash of (namespace, id).
#pragma once

#include <string_view>
#include <vector>

#include <caf/actor.hpp>

#include "ledger/stable_hash.hpp"
#include "protocol/messages.hpp"

namespace settle::actors {

/// Handles of the engine's actors. Filled once at start, read-only afterwards.
struct routing {
  std::vector<caf::actor> directories;    // account directories (virtual account actors)
  std::vector<caf::actor> ledger_shards;  // idempotency + transaction orchestration
  caf::actor registry;                    // partner and house clearing accounts
  caf::actor snapshotter;                 // the admin op `snapshot`

  const caf::actor& directory_for(std::string_view account) const {
    return directories[ledger::stable_hash(account) % directories.size()];
  }
  const caf::actor& shard_for_key(std::string_view id_key) const {
    return ledger_shards[ledger::stable_hash(id_key) % ledger_shards.size()];
  }
  /// The actor that answers `req` (already decoded and authorized).
  const caf::actor& target_for(const protocol::request& req) const;
};

}  // namespace settle::actors
