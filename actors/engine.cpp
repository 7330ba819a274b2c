#include "actors/engine.hpp"

#include <caf/all.hpp>

#include "actors/account_directory.hpp"
#include "actors/clearing_registry.hpp"
#include "actors/snapshot_actor.hpp"
#include "ledger/clearing.hpp"
#include "ledger/stable_hash.hpp"

namespace settle::actors {

using protocol::op_kind;

const caf::actor& routing::target_for(const protocol::request& req) const {
  switch (req.op) {
    case op_kind::txn:
      return shard_for_key(ledger::id_key(ledger::id_namespace(req), req.id));
    case op_kind::partner:
      return registry;
    case op_kind::snapshot:
      return snapshotter;
    case op_kind::balance:
      if (ledger::is_reserved_account(req.account) && !req.account.empty())
        return registry;
      return directory_for(req.account);
    default:  // open, block, unblock (hello never reaches the engine)
      return directory_for(req.account);
  }
}

engine::engine(caf::actor_system& sys, engine_options opts, engine_seed seed)
    : routes_(std::make_shared<routing>()) {
  if (opts.account_shards == 0 || opts.ledger_shards == 0)
    throw std::invalid_argument("engine needs at least one account and one ledger shard");
  if (!opts.journal)
    opts.journal = std::make_shared<persistence::memory_journal>();
  if (!seed.accounts.empty() && seed.accounts.size() != opts.account_shards)
    throw std::invalid_argument("recovered accounts are split into " +
                                std::to_string(seed.accounts.size()) + " shards, not " +
                                std::to_string(opts.account_shards));
  seed.accounts.resize(opts.account_shards);
  // Ids go to the ledger shard their key hashes to (routing::shard_for_key).
  std::vector<std::vector<std::pair<std::string, ledger::id_entry>>> ids(opts.ledger_shards);
  for (auto& entry : seed.ids)
    ids[ledger::stable_hash(entry.first) % opts.ledger_shards].push_back(std::move(entry));
  seed.ids.clear();
  // Handles are filled before any request can arrive; actors read them only in handlers.
  // Directories get the (still incomplete) routes: they read them only when handling.
  for (uint32_t i = 0; i < opts.account_shards; ++i)
    routes_->directories.push_back(sys.spawn<account_directory>(
        opts.account_idle_ms, journal_target{opts.journal, i},
        std::shared_ptr<const routing>(routes_), std::move(seed.accounts[i])));
  routes_->snapshotter = sys.spawn<snapshot_actor>(std::move(opts.snapshot));
  routes_->registry = sys.spawn<clearing_registry>(std::shared_ptr<const routing>(routes_),
                                                    std::move(seed.clearing));
  for (uint32_t i = 0; i < opts.ledger_shards; ++i)
    routes_->ledger_shards.push_back(sys.spawn<ledger_shard>(
        std::shared_ptr<const routing>(routes_), opts.shard, std::move(ids[i])));
}

engine::~engine() {
  shutdown();
}

void engine::shutdown() {
  auto stop = [](const caf::actor& a) {
    if (a)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };
  for (auto& a : routes_->ledger_shards)
    stop(a);
  stop(routes_->registry);
  stop(routes_->snapshotter);
  for (auto& a : routes_->directories)
    stop(a);
}

}  // namespace settle::actors
