// settle-memory: what an account and a remembered transaction id cost in the engine's own
// tables (heap bytes each, from glibc's allocator statistics), for typical id lengths.
// Accounts are measured in a ledger::account_map, the table a ledger shard keeps every
// account in, idle or busy (there is no per-account actor to passivate); ids in a
// ledger::id_store, the store the shards share.
#include <malloc.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ledger/account_rules.hpp"
#include "ledger/id_store.hpp"

using namespace settle;

namespace {

/// In-use heap: small blocks plus mmap-ed large ones (the hash tables themselves).
size_t heap_bytes() {
  auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

void report(const char* what, size_t count, size_t bytes) {
  std::cout << fmt::format("{:>11L} {}: {:.0f} heap bytes each ({:.1f} MiB in all)\n", count,
                           what, static_cast<double>(bytes) / static_cast<double>(count),
                           static_cast<double>(bytes) / (1024.0 * 1024.0));
}

}  // namespace

int main(int argc, char** argv) {
  size_t accounts = 10'000'000, ids = 1'000'000;
  CLI::App app{"settle-memory: heap bytes per account and per remembered transaction id",
               "settle-memory"};
  app.add_option("--accounts", accounts, "player accounts to hold")->capture_default_str();
  app.add_option("--ids", ids, "transaction ids to remember")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  {
    // Player ids like the load generator's ("p" and up to 7 digits): within the string's
    // inline buffer, as most platforms' player ids are (up to 15 bytes).
    ledger::account_map map;
    size_t before = heap_bytes();
    for (size_t i = 0; i < accounts; ++i) {
      ledger::account_state st;
      st.currency = ledger::pack_currency("EUR");
      st.balance = static_cast<int64_t>(i);
      map.emplace(fmt::format("p{}", i), st);
    }
    report("accounts", map.size(), heap_bytes() - before);
  }
  {
    ledger::id_store store;
    size_t before = heap_bytes();
    for (size_t i = 0; i < ids; ++i) {
      // A bet as providers send them: a 16-byte id, a 7-byte player id, partner "prov12".
      ledger::id_entry e;
      e.state = ledger::id_state::done;
      e.kind = protocol::txn_kind::bet;
      e.account = fmt::format("p{:06}", i % 1'000'000);
      e.amount = 100;
      e.fingerprint = i;
      store.put(ledger::hash_id("prov12", fmt::format("tx-{:013}", i)), std::move(e));
    }
    report("ids", store.size(), heap_bytes() - before);
  }
  return 0;
}
