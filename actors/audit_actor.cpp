#include "actors/audit_actor.hpp"

#include <exception>

namespace settle::actors {

using protocol::op_kind;

bool is_audited(op_kind op) {
  switch (op) {
    case op_kind::block:
    case op_kind::unblock:
    case op_kind::snapshot:
    case op_kind::contract_set:
    case op_kind::period_close:
    case op_kind::fx_set:
    case op_kind::topup:
    case op_kind::suspend:
    case op_kind::resume:
    case op_kind::reconcile:
      return true;
    default:
      return false;
  }
}

audit_actor::audit_actor(caf::actor_config& cfg, std::shared_ptr<persistence::audit_store> store,
                         std::shared_ptr<metrics::engine_metrics> metrics,
                         std::function<void(const std::string&)> log)
    : caf::event_based_actor(cfg),
      store_(std::move(store)),
      metrics_(std::move(metrics)),
      log_(std::move(log)) {}

caf::behavior audit_actor::make_behavior() {
  return {
      [=, this](audit_atom, protocol::audit_entry& e) { return append(e); },
      [=, this](protocol::request& req) { return read(req); },
  };
}

bool audit_actor::append(protocol::audit_entry& e) {
  if (!store_)
    return false;
  try {
    store_->append(e);
    return true;
  } catch (const std::exception& ex) {
    if (metrics_)
      metrics_->redis_errors.fetch_add(1, std::memory_order_relaxed);
    if (log_)
      log_(std::string{"audit: could not store "} + e.op + " by " + e.who + " at " +
           std::to_string(e.at_unix_ms) + " (" + e.result + "): " + ex.what());
    return false;
  }
}

protocol::response audit_actor::read(const protocol::request& req) {
  if (!store_)
    return protocol::make_error(op_kind::audit, req.rid, protocol::error_code::unavailable,
                                "the audit stream needs the journal (Redis); it is off");
  try {
    protocol::response r;
    r.op = op_kind::audit;
    r.rid = req.rid;
    r.entries = store_->read(req.limit == 0 ? protocol::default_page_items : req.limit,
                             req.before);
    return r;
  } catch (const std::exception& ex) {
    if (metrics_)
      metrics_->redis_errors.fetch_add(1, std::memory_order_relaxed);
    return protocol::make_error(op_kind::audit, req.rid, protocol::error_code::unavailable,
                                std::string{"the audit stream could not be read: "} + ex.what());
  }
}

}  // namespace settle::actors
