#include "stepped_engine.hpp"

#include <algorithm>
#include <chrono>
#include <limits>
#include <stdexcept>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/test_multiplexer.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "base/invariant.hpp"
#include "engine_fixture.hpp"

namespace settle::testing {

namespace {

/// A run that does not end is a livelock (a timer is never needed for run() to finish).
constexpr size_t max_messages_per_run = 10'000'000;

/// Records what it receives into `log` (the test thread runs it, like every actor here).
caf::behavior probe(caf::event_based_actor* self, probe_log* log) {
  self->set_default_handler([log](caf::scheduled_actor*, caf::message_view& x)
                                -> caf::result<caf::message> {
    log->unexpected.push_back(to_string(x.copy_content_to_message()));
    return caf::message{};
  });
  return {
      [log](protocol::response& r) { log->answers.push_back(std::move(r)); },
      [log](actors::shard_stats& st) { log->stats.push_back(st); },
      [log](actors::shard_dump& d) { log->dumps.push_back(std::move(d)); },
      [log](caf::error& err) { log->unexpected.push_back("error: " + to_string(err)); },
  };
}

}  // namespace

actors::engine_options stepped_engine::default_options() {
  auto o = engine_fixture::default_options();
  o.shard.partner_flush_interval_us = std::numeric_limits<uint32_t>::max();
  return o;
}

stepped_engine::stepped_engine(actors::engine_options opts) {
  // The configuration of CAF's test_coordinator_fixture (caf/test/dsl.hpp), without its unit
  // test engine: the testing scheduler and network backend, driven by hand.
  cfg_.set("scheduler.policy", caf::atom("testing"));
  cfg_.set("logger.inline-output", true);
  cfg_.set("middleman.network-backend", caf::atom("testing"));
  cfg_.set("middleman.manual-multiplexing", true);
  cfg_.set("middleman.heartbeat-interval", caf::timespan{0});
  cfg_.set("middleman.workers", size_t{0});
  cfg_.load<caf::io::middleman>();
  sys_ = std::make_unique<caf::actor_system>(cfg_);
  sched_ = dynamic_cast<caf::scheduler::test_coordinator*>(&sys_->scheduler());
  mpx_ = dynamic_cast<caf::io::network::test_multiplexer*>(&sys_->middleman().backend());
  SETTLE_ASSERT(sched_ != nullptr && mpx_ != nullptr, "the testing scheduler and backend");
  // As CAF's fixture does: a clock that does not start at 0.
  sched_->clock().current_time += std::chrono::hours(1);
  eng_ = std::make_unique<actors::engine>(*sys_, std::move(opts));
  probe_ = sys_->spawn(probe, &log_);
  run();  // every actor initialized (the shards attach to the journal)
}

stepped_engine::~stepped_engine() {
  eng_->stop();
  caf::anon_send_exit(probe_, caf::exit_reason::user_shutdown);
  run();
  // Timers still pending hold their receivers (and the shard a relayed message names): fire
  // them into the stopped actors while the multiplexer still exists. Nobody arms new ones.
  for (int round = 0; sched_->trigger_timeouts() > 0; ++round) {
    SETTLE_ASSERT(round < 100, "a stopped engine keeps arming timers");
    run();
  }
  eng_.reset();  // stopped: its destructor does not wait
  probe_ = nullptr;
  sys_.reset();
}

uint64_t stepped_engine::send(protocol::request r) {
  const auto& target = eng_->routes().target_for(protocol::view_of(r));
  return send_to(target, std::move(r));
}

uint64_t stepped_engine::send_to(const caf::actor& target, protocol::request r) {
  if (r.rid == 0)
    r.rid = next_rid_++;
  const uint64_t rid = r.rid;
  caf::send_as(probe_, target, std::move(r));
  return rid;
}

bool stepped_engine::step() {
  return sched_->try_run_once() || mpx_->try_exec_runnable();
}

size_t stepped_engine::run() {
  size_t n = 0;
  while (step()) {
    ++n;
    SETTLE_ASSERT(n < max_messages_per_run, "the actors never went idle");
  }
  return n;
}

size_t stepped_engine::advance(caf::timespan d) {
  const caf::timespan tick = std::chrono::milliseconds(1);
  size_t n = run();
  while (d > caf::timespan{0}) {
    auto by = std::min(d, tick);
    d -= by;
    sched_->advance_time(by);
    n += run();
  }
  return n;
}

size_t stepped_engine::trigger_timeouts() {
  sched_->trigger_timeouts();
  return run();
}

std::vector<protocol::response> stepped_engine::answers() {
  std::vector<protocol::response> out(std::make_move_iterator(log_.answers.begin()),
                                      std::make_move_iterator(log_.answers.end()));
  log_.answers.clear();
  return out;
}

bool stepped_engine::answered(uint64_t rid) const {
  return std::any_of(log_.answers.begin(), log_.answers.end(),
                     [rid](const protocol::response& r) { return r.rid == rid; });
}

protocol::response stepped_engine::answer(uint64_t rid) {
  auto it = std::find_if(log_.answers.begin(), log_.answers.end(),
                         [rid](const protocol::response& r) { return r.rid == rid; });
  if (it == log_.answers.end())
    throw std::runtime_error("no answer to request " + std::to_string(rid) +
                             " (waiting for the journal or a timer?)");
  auto out = std::move(*it);
  log_.answers.erase(it);
  return out;
}

protocol::response stepped_engine::call(const protocol::request& r) {
  auto rid = send(r);
  run();
  return answer(rid);
}

int64_t stepped_engine::balance_of(const std::string& account) {
  auto r = call(req::balance(account));
  if (!r.ok())
    throw std::runtime_error("balance of " + account + " failed: " + r.message);
  return r.balance;
}

actors::shard_stats stepped_engine::stats() {
  log_.stats.clear();
  for (auto& shard : eng_->routes().ledger_shards)
    caf::send_as(probe_, shard, actors::stats_atom::value);
  run();
  if (log_.stats.size() != eng_->routes().ledger_shards.size())
    throw std::runtime_error("not every shard reported its stats");
  actors::shard_stats total;
  for (auto& st : log_.stats) {
    total.accounts += st.accounts;
    total.in_flight += st.in_flight;
    total.transfers += st.transfers;
    total.remembered_ids = st.remembered_ids;
  }
  log_.stats.clear();
  return total;
}

actors::shard_dump stepped_engine::dump(uint32_t shard) {
  log_.dumps.clear();
  caf::send_as(probe_, eng_->routes().ledger_shards.at(shard), actors::dump_atom::value);
  run();
  if (log_.dumps.size() != 1)
    throw std::runtime_error("shard " + std::to_string(shard) + " did not answer its dump");
  auto out = std::move(log_.dumps.front());
  log_.dumps.clear();
  return out;
}

}  // namespace settle::testing
