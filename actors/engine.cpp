#include "actors/engine.hpp"

#include <caf/all.hpp>

#include "actors/account_directory.hpp"
#include "actors/clearing_registry.hpp"
#include "ledger/clearing.hpp"

namespace settle::actors {

using protocol::op_kind;

const caf::actor& routing::target_for(const protocol::request& req) const {
  switch (req.op) {
    case op_kind::txn:
      return shard_for_key(ledger::id_key(ledger::id_namespace(req), req.id));
    case op_kind::partner:
      return registry;
    case op_kind::balance:
      if (ledger::is_reserved_account(req.account) && !req.account.empty())
        return registry;
      return directory_for(req.account);
    default:  // open, block, unblock (hello never reaches the engine)
      return directory_for(req.account);
  }
}

engine::engine(caf::actor_system& sys, engine_options opts) : routes_(std::make_shared<routing>()) {
  if (opts.account_shards == 0 || opts.ledger_shards == 0)
    throw std::invalid_argument("engine needs at least one account and one ledger shard");
  if (!opts.make_journal)
    opts.make_journal = [](uint32_t) { return std::make_unique<persistence::memory_journal>(); };
  // Handles are filled before any request can arrive; actors read them only in handlers.
  for (uint32_t i = 0; i < opts.account_shards; ++i)
    routes_->directories.push_back(sys.spawn<account_directory>(opts.account_idle_ms));
  routes_->registry = sys.spawn<clearing_registry>(std::shared_ptr<const routing>(routes_));
  for (uint32_t i = 0; i < opts.ledger_shards; ++i)
    routes_->ledger_shards.push_back(sys.spawn<ledger_shard>(
        std::shared_ptr<const routing>(routes_), opts.shard, opts.make_journal(i)));
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
  for (auto& a : routes_->directories)
    stop(a);
}

}  // namespace settle::actors
