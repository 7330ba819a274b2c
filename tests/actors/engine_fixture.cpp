#include "engine_fixture.hpp"

#include <stdexcept>

#include <caf/all.hpp>

namespace settle::testing {

using protocol::op_kind;
using protocol::request;

request req::open(std::string account, std::string currency) {
  request r;
  r.op = op_kind::open;
  r.account = std::move(account);
  r.currency = std::move(currency);
  return r;
}
request req::balance(std::string account) {
  request r;
  r.op = op_kind::balance;
  r.account = std::move(account);
  return r;
}
request req::partner(std::string partner) {
  request r;
  r.op = op_kind::partner;
  r.partner = std::move(partner);
  return r;
}
request req::block(std::string account) {
  request r;
  r.op = op_kind::block;
  r.account = std::move(account);
  return r;
}
request req::unblock(std::string account) {
  request r;
  r.op = op_kind::unblock;
  r.account = std::move(account);
  return r;
}
request req::txn(protocol::txn_kind kind, std::string id, std::string account, int64_t amount,
                 std::string currency, std::string partner) {
  request r;
  r.op = op_kind::txn;
  r.kind = kind;
  r.id = std::move(id);
  r.account = std::move(account);
  r.amount = amount;
  r.has_amount = true;
  r.currency = std::move(currency);
  r.partner = std::move(partner);
  return r;
}
request req::rollback(std::string id, std::string ref, std::string account, std::string currency,
                      std::string partner) {
  request r;
  r.op = op_kind::txn;
  r.kind = protocol::txn_kind::rollback;
  r.id = std::move(id);
  r.ref = std::move(ref);
  r.account = std::move(account);
  r.currency = std::move(currency);
  r.partner = std::move(partner);
  return r;
}
request req::transfer(std::string id, std::string from, std::string to, int64_t amount,
                      std::string currency) {
  auto r = txn(protocol::txn_kind::transfer, std::move(id), std::move(from), amount,
               std::move(currency));
  r.to = std::move(to);
  return r;
}

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
