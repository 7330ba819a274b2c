// An in-process engine whose actors run only when the test steps them: CAF's test coordinator
// schedules the event-based actors, the testing multiplexer runs the ledger shards (brokers),
// and the actor clock moves only when the test advances it. Nothing sleeps, polls or runs on
// another thread, so a test can check exactly what happened before what.
//
// Requests go out from a probe actor, which records every answer in arrival order; a test
// sends, runs until nothing is left to run, then looks at what came back. Blocking calls
// (scoped_actor request/receive, engine::shutdown) would never return here: nobody else runs
// the actors.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "actors/engine.hpp"
#include "actors/messages.hpp"
#include "protocol/messages.hpp"
#include "requests.hpp"

namespace caf::scheduler {
class test_coordinator;
}
namespace caf::io::network {
class test_multiplexer;
}

namespace settle::testing {

/// What the probe received, in arrival order.
struct probe_log {
  std::deque<protocol::response> answers;  // not yet taken by the test
  std::vector<actors::shard_stats> stats;
  std::vector<actors::shard_dump> dumps;
  std::vector<std::string> unexpected;  // anything else (a test expects none)
};

class stepped_engine {
public:
  explicit stepped_engine(actors::engine_options opts = default_options());
  ~stepped_engine();
  stepped_engine(const stepped_engine&) = delete;
  stepped_engine& operator=(const stepped_engine&) = delete;

  /// engine_fixture's defaults, with a partner flush interval no test reaches: a shard
  /// measures the age of its clearing deltas with the steady clock, not the actor clock, and
  /// would send them on its own whenever a turn happened to take longer than the interval.
  /// Deltas still reach the registry before every partner answer (it collects them).
  static actors::engine_options default_options();

  // -- sending: nothing runs until step(), run(), advance() ------------------------------

  /// Sends `r` to the actor that answers it; returns the rid its answer will carry (`r.rid`,
  /// or a fresh one when it is 0).
  uint64_t send(protocol::request r);
  /// Sends `r` to `target` (a particular shard, say).
  uint64_t send_to(const caf::actor& target, protocol::request r);

  // -- running ------------------------------------------------------------------------

  /// Handles one message: the scheduler's next job, else the multiplexer's (the shards).
  /// False when nothing is left to run.
  bool step();
  /// Handles messages until nothing is left to run; timers are not triggered. Returns how
  /// many ran.
  size_t run();
  /// Moves the actor clock forward by `d` in steps of 1 ms, firing the timers due at each
  /// step and running what they set off, so a timer set meanwhile fires once due too.
  size_t advance(caf::timespan d);
  /// Fires every pending timer, whatever its time (the clock jumps to the latest), and runs.
  size_t trigger_timeouts();

  // -- what came back -------------------------------------------------------------------

  /// Answers not yet taken, in arrival order.
  const std::deque<protocol::response>& pending() const { return log_.answers; }
  /// Takes every answer not yet taken, in arrival order.
  std::vector<protocol::response> answers();
  bool answered(uint64_t rid) const;
  /// Takes the answer to `rid`; throws when it has not arrived.
  protocol::response answer(uint64_t rid);
  /// Messages the probe did not expect (a test checks there are none).
  const std::vector<std::string>& unexpected() const { return log_.unexpected; }

  // -- the synchronous style of engine_fixture: send, run until idle, take -------------

  /// Sends `r`, runs, and returns its answer; throws when none came (it waits for the journal
  /// or for a timer).
  protocol::response call(const protocol::request& r);
  /// Balance of any account (players, house:C, partner:P:C); throws unless it succeeded.
  int64_t balance_of(const std::string& account);
  /// The shards' counters, summed (remembered_ids is the shared store's, once).
  actors::shard_stats stats();
  /// What ledger shard `shard` holds (accounts, partner marks), as dump_atom answers it.
  actors::shard_dump dump(uint32_t shard);

  actors::engine& eng() { return *eng_; }
  caf::actor_system& sys() { return *sys_; }

private:
  caf::actor_system_config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  caf::scheduler::test_coordinator* sched_ = nullptr;
  caf::io::network::test_multiplexer* mpx_ = nullptr;
  std::unique_ptr<actors::engine> eng_;
  probe_log log_;
  caf::actor probe_;
  uint64_t next_rid_ = 1;
};

}  // namespace settle::testing
