// settle-id-memory: measures what one remembered transaction id costs in a ledger shard's
// id store (heap bytes per id, from glibc's allocator statistics), for typical id lengths.
#include <malloc.h>

#include <iostream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ledger/id_store.hpp"

using namespace settle;

int main(int argc, char** argv) {
  size_t count = 1'000'000;
  CLI::App app{"settle-id-memory: heap bytes per remembered transaction id", "settle-id-memory"};
  app.add_option("--ids", count, "ids to remember (default 1,000,000)");
  CLI11_PARSE(app, argc, argv);

  // In-use heap: small blocks plus mmap-ed large ones (the hash table itself).
  auto heap = [] {
    auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  ledger::id_store store;
  size_t before = heap();
  for (size_t i = 0; i < count; ++i) {
    // A bet as providers send them: a 16-byte id, a 7-byte player id, partner "prov12".
    ledger::id_entry e;
    e.state = ledger::id_state::done;
    e.kind = protocol::txn_kind::bet;
    e.account = fmt::format("p{:06}", i % 1'000'000);
    e.amount = 100;
    e.fingerprint = i;
    store.put(ledger::hash_id("prov12", fmt::format("tx-{:013}", i)), std::move(e));
  }
  size_t after = heap();
  double per_id = static_cast<double>(after - before) / static_cast<double>(count);
  std::cout << fmt::format("{} ids remembered: {:.0f} heap bytes per id ({:.1f} MiB in all)\n",
                           store.size(), per_id,
                           static_cast<double>(after - before) / (1024.0 * 1024.0));
  return 0;
}
