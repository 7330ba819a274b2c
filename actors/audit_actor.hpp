// The auditor: appends each admin op's entry to the audit stream (persistence/audit_stream)
// before the session answers the op, and answers the `audit` op. Spawned detached: the store
// blocks on Redis, which must not hold up a scheduler thread.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"
#include "metrics/engine_metrics.hpp"
#include "persistence/audit_stream.hpp"

namespace settle::actors {

/// The admin ops the audit stream records (the ones only admins may send, transactions
/// aside: those are journaled and in the accounts' history).
bool is_audited(protocol::op_kind op);

class audit_actor : public caf::event_based_actor {
public:
  /// `store` null (journal off): entries are not kept and `audit` is answered `unavailable`.
  audit_actor(caf::actor_config& cfg, std::shared_ptr<persistence::audit_store> store,
              std::shared_ptr<metrics::engine_metrics> metrics,
              std::function<void(const std::string&)> log);
  caf::behavior make_behavior() override;

private:
  /// True when stored; a failure is logged and counted, never thrown.
  bool append(protocol::audit_entry& e);
  protocol::response read(const protocol::request& req);

  std::shared_ptr<persistence::audit_store> store_;
  std::shared_ptr<metrics::engine_metrics> metrics_;
  std::function<void(const std::string&)> log_;
};

}  // namespace settle::actors
