// Micro-benchmarks of the account apply path: the steps a ledger shard takes for one bet once
// its frame is decoded (actors/shard_txn.cpp, on_simple): the id's hash and fingerprint, the
// id store (look up and insert under the stripe lock), the account lookup and leg, and the
// journal record appended to the open chunk; and all of them in a row.
// Run: ./build/bench/micro/settle-micro-apply [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "ledger/account_rules.hpp"
#include "ledger/id_store.hpp"
#include "ledger/keys.hpp"
#include "persistence/journal_batch.hpp"
#include "protocol/messages.hpp"

namespace {

using namespace settle;

constexpr size_t accounts = 100'000;

/// Bets over `accounts` players with fresh ids, as views (the shard gets views of the frame).
struct bets {
  std::vector<std::string> ids, players;
  std::vector<protocol::request_view> views;
  explicit bets(size_t n) {
    ids.reserve(n);
    players.reserve(accounts);
    for (size_t i = 0; i < accounts; ++i)
      players.push_back(fmt::format("p{}", i));
    for (size_t i = 0; i < n; ++i)
      ids.push_back(fmt::format("r1t{}-{}", i % 4, i));
    for (size_t i = 0; i < n; ++i) {
      protocol::request_view v;
      v.op = protocol::op_kind::txn;
      v.kind = protocol::txn_kind::bet;
      v.id = ids[i];
      v.account = players[(i * 2654435761u) % accounts];
      v.currency = "EUR";
      v.amount = 100;
      v.has_amount = true;
      v.partner = "prov7";
      v.round = ids[i];
      v.game = "slot3";
      views.push_back(v);
    }
  }
};

ledger::account_map funded() {
  ledger::account_map m;
  for (size_t i = 0; i < accounts; ++i) {
    ledger::account_state st;
    st.currency = ledger::pack_currency("EUR");
    st.balance = 1'000'000'000'000;
    m.emplace(fmt::format("p{}", i), st);
  }
  return m;
}

const bets& sample() {
  static const bets b{1 << 20};
  return b;
}

void hash_and_fingerprint(benchmark::State& state) {
  const auto& b = sample();
  size_t i = 0;
  for (auto _ : state) {
    const auto& v = b.views[i++ & (b.views.size() - 1)];
    benchmark::DoNotOptimize(ledger::hash_id(ledger::id_namespace(v), v.id));
    benchmark::DoNotOptimize(ledger::fingerprint(v));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(hash_and_fingerprint);

void id_store_insert(benchmark::State& state) {
  const auto& b = sample();
  ledger::id_store store;
  size_t i = 0;
  for (auto _ : state) {
    const auto& v = b.views[i++ & (b.views.size() - 1)];
    auto key = ledger::hash_id(v.partner, v.id);
    store.with(key, [&](ledger::id_store::map& m) {
      auto [pos, inserted] = m.try_emplace(key);
      benchmark::DoNotOptimize(inserted);
      pos->second.state = ledger::id_state::done;
    });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(id_store_insert);

/// A million ids already remembered: looking one up (a retry) or finding one absent (a new
/// transaction's check), without the cost of the table growing.
void id_store_lookup(benchmark::State& state) {
  const auto& b = sample();
  ledger::id_store store;
  for (const auto& v : b.views)
    store.put(ledger::hash_id(v.partner, v.id), ledger::id_entry{});
  const bool absent = state.range(0) != 0;
  size_t i = 0;
  for (auto _ : state) {
    const auto& v = b.views[i++ & (b.views.size() - 1)];
    auto key = ledger::hash_id(absent ? "other" : v.partner, v.id);
    store.with(key, [&](ledger::id_store::map& m) { benchmark::DoNotOptimize(m.find(key)); });
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(id_store_lookup)->Arg(0)->Arg(1);

void account_leg(benchmark::State& state) {
  const auto& b = sample();
  auto map = funded();
  ledger::leg l;
  l.kind = protocol::txn_kind::bet;
  l.side = ledger::leg_side::debit;
  l.amount = 100;
  l.currency = ledger::pack_currency("EUR");
  std::string why;
  size_t i = 0;
  for (auto _ : state) {
    const auto& v = b.views[i++ & (b.views.size() - 1)];
    auto acc = map.find(ledger::key(v.account));
    benchmark::DoNotOptimize(ledger::apply_leg(acc->second, l, why));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(account_leg);

void journal_record(benchmark::State& state) {
  const auto& b = sample();
  std::string chunk;
  size_t i = 0;
  for (auto _ : state) {
    const auto& v = b.views[i++ & (b.views.size() - 1)];
    persistence::record_view rec;
    rec.account = v.account;
    rec.currency = v.currency;
    rec.kind = v.kind;
    rec.txn_id = v.id;
    rec.id_namespace = v.partner;
    rec.partner = v.partner;
    rec.amount = -v.amount;
    rec.balance_after = 12345;
    rec.version_after = 7;
    persistence::append_record(chunk, rec);
    if (chunk.size() > (1 << 20))
      chunk.clear();  // a chunk goes to the writer and a new one starts
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(journal_record);

/// What a shard does for one new bet: the id reserved and filled, the leg applied, the
/// record appended to the open chunk (as in actors/shard_txn.cpp, on_simple).
void apply_bet(const protocol::request_view& v, const ledger::id_hash& key,
               ledger::account_map& map, ledger::id_store& store, std::string& chunk) {
  std::string why;
  auto fp = ledger::fingerprint(v);
  auto acc = map.find(ledger::key(v.account));
  store.with(key, [&](ledger::id_store::map& m) {
    auto [pos, inserted] = m.try_emplace(key);
    if (!inserted)
      return;
    ledger::leg l;
    l.kind = v.kind;
    l.side = ledger::player_side(v.kind);
    l.amount = v.amount;
    l.currency = ledger::pack_currency(v.currency);
    ledger::apply_leg(acc->second, l, why);
    auto& e = pos->second;
    e.fingerprint = fp;
    e.state = ledger::id_state::done;
    e.kind = v.kind;
    e.balance = acc->second.balance;
    e.version = acc->second.version;
    e.account = std::string{v.account};
    e.amount = v.amount;
  });
  persistence::record_view rec;
  rec.account = v.account;
  rec.currency = v.currency;
  rec.kind = v.kind;
  rec.txn_id = v.id;
  rec.id_namespace = v.partner;
  rec.partner = v.partner;
  rec.fingerprint = fp;
  rec.amount = -v.amount;
  rec.balance_after = acc->second.balance;
  rec.version_after = acc->second.version;
  persistence::append_record(chunk, rec);
  if (chunk.size() > (1 << 20))
    chunk.clear();  // a chunk goes to the writer and a new one starts
}

/// Everything a bet costs the shard between its decoded request and its queued answer.
void bet_apply_path(benchmark::State& state) {
  const auto& b = sample();
  auto map = funded();
  ledger::id_store store;
  std::string chunk;
  size_t i = 0;
  for (auto _ : state) {
    const auto& v = b.views[i++ & (b.views.size() - 1)];
    apply_bet(v, ledger::hash_id(ledger::id_namespace(v), v.id), map, store, chunk);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(bet_apply_path);

/// The same path, a batch at a time: the id store and account slots of the whole batch are
/// prefetched first, so their cache misses overlap (what the shard does per request_batch).
void bet_apply_path_prefetched(benchmark::State& state) {
  const auto& b = sample();
  auto map = funded();
  ledger::id_store store;
  std::string chunk;
  const size_t batch = static_cast<size_t>(state.range(0));
  std::vector<ledger::id_hash> keys(batch);
  size_t i = 0;
  for (auto _ : state) {
    for (size_t k = 0; k < batch; ++k) {
      const auto& v = b.views[(i + k) & (b.views.size() - 1)];
      keys[k] = ledger::hash_id(ledger::id_namespace(v), v.id);
      store.prefetch(keys[k]);
      map.prefetch(ledger::key(v.account));
    }
    for (size_t k = 0; k < batch; ++k, ++i)
      apply_bet(b.views[i & (b.views.size() - 1)], keys[k], map, store, chunk);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(bet_apply_path_prefetched)->Arg(8)->Arg(32);

}  // namespace

BENCHMARK_MAIN();
