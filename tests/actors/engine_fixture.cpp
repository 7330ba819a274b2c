#include "engine_fixture.hpp"

#include <stdexcept>

#include <caf/all.hpp>
#include <caf/io/middleman.hpp>

namespace settle::testing {

actors::engine_options engine_fixture::default_options() {
  actors::engine_options o;
  o.shards = 4;
  o.shard.max_amount = 1'000'000'000;
  return o;
}

engine_fixture::engine_fixture(actors::engine_options opts) {
  cfg.set("scheduler.max-threads", size_t{2});
  cfg.load<caf::io::middleman>();
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
  self->request(eng->routes().target_for(protocol::view_of(r)), std::chrono::seconds(3), r)
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

actors::shard_stats engine_fixture::stats() {
  caf::scoped_actor self{*sys};
  actors::shard_stats total;
  for (auto& shard : eng->routes().ledger_shards)
    self->request(shard, std::chrono::seconds(10), actors::stats_atom::value)
        .receive(
            [&](actors::shard_stats& st) {
              total.accounts += st.accounts;
              total.in_flight += st.in_flight;
              total.transfers += st.transfers;
              total.remembered_ids = st.remembered_ids;
            },
            [&](caf::error& err) { throw std::runtime_error(to_string(err)); });
  return total;
}

}  // namespace settle::testing
