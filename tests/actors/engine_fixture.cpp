#include "engine_fixture.hpp"

#include <stdexcept>

#include <caf/all.hpp>

namespace settle::testing {

actors::engine_options engine_fixture::default_options() {
  actors::engine_options o;
  o.account_shards = 4;
  o.ledger_shards = 4;
  o.account_idle_ms = 5000;
  o.shard.max_amount = 1'000'000'000;
  return o;
}

engine_fixture::engine_fixture(actors::engine_options opts) {
  cfg.set("scheduler.max-threads", size_t{2});
  sys = std::make_unique<caf::actor_system>(cfg);
  eng = std::make_unique<actors::engine>(*sys, std::move(opts));
}

engine_fixture::~engine_fixture() {
  eng->shutdown();
  eng.reset();
  sys.reset();  // waits for every actor
}

protocol::response engine_fixture::call(const protocol::request& r) {
  caf::scoped_actor self{*sys};
  protocol::response out;
  bool failed = false;
  std::string why;
  self->request(eng->routes().target_for(r), std::chrono::seconds(3), r)
      .receive([&](protocol::response& resp) { out = std::move(resp); },
               [&](caf::error& err) {
                 failed = true;
                 why = to_string(err);
               });
  if (failed)
    throw std::runtime_error("engine call failed: " + why);
  return out;
}

int64_t engine_fixture::balance_of(const std::string& account) {
  auto r = call(req::balance(account));
  if (!r.ok())
    throw std::runtime_error("balance of " + account + " failed: " + r.message);
  return r.balance;
}

uint64_t engine_fixture::active_accounts() {
  caf::scoped_actor self{*sys};
  uint64_t total = 0;
  for (auto& dir : eng->routes().directories)
    self->request(dir, std::chrono::seconds(10), actors::stats_atom::value)
        .receive([&](actors::shard_stats& st) { total += st.active_accounts; },
                 [&](caf::error& err) { throw std::runtime_error(to_string(err)); });
  return total;
}

}  // namespace settle::testing
