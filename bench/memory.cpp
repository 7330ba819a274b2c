// settle-memory: what an account, a remembered transaction id and a change kept for account
// history cost in the engine's own tables (heap bytes each, from glibc's allocator
// statistics), for typical id lengths.
// Accounts are measured in a ledger::account_map, the table a ledger shard keeps every
// account in, idle or busy (there is no per-account actor to passivate); ids in a
// ledger::id_store, the store the shards share.
#include <malloc.h>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "ledger/account_rules.hpp"
#include "ledger/history.hpp"
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

/// Bets as providers send them: a 16-byte id, partner "prov12", a 12-byte round and a 9-byte
/// game, `per_account` to an account.
void measure_history(size_t changes, size_t per_account) {
  ledger::history_log log{{.retention_ms = INT64_MAX / 2, .max_bytes = UINT64_MAX / 2}};
  const size_t holders = std::max<size_t>(1, changes / per_account);
  std::vector<std::string> names;
  for (size_t a = 0; a < holders; ++a)
    names.push_back(fmt::format("p{:06}", a));
  std::vector<uint64_t> heads(holders, 0);  // account_state::history_head in the engine
  size_t before = heap_bytes();
  std::string txn, round;
  for (size_t i = 0; i < changes; ++i) {
    txn = fmt::format("tx-{:013}", i);
    round = fmt::format("r-{:010}", i / 3);
    ledger::record_view r;
    r.account = names[i % holders];
    r.type = ledger::record_type::txn;
    r.kind = protocol::txn_kind::bet;
    r.txn_id = txn;
    r.partner = "prov12";
    r.round = round;
    r.game = "slots-007";
    r.amount = -100;
    r.version_after = i / holders + 1;
    r.at_unix_ms = 1'800'000'000'000 + static_cast<int64_t>(i);
    heads[i % holders] = log.add(r, heads[i % holders]);
  }
  report(fmt::format("history changes ({} per account)", per_account).c_str(), log.changes(),
         heap_bytes() - before);
}

}  // namespace

int main(int argc, char** argv) {
  size_t accounts = 10'000'000, ids = 1'000'000, changes = 1'000'000;
  size_t changes_per_account = 10;
  CLI::App app{"settle-memory: heap bytes per account and per remembered transaction id",
               "settle-memory"};
  app.add_option("--accounts", accounts, "player accounts to hold")->capture_default_str();
  app.add_option("--ids", ids, "transaction ids to remember")->capture_default_str();
  app.add_option("--changes", changes, "changes to keep for account history")
      ->capture_default_str();
  app.add_option("--changes-per-account", changes_per_account, "spread over accounts so")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
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
  measure_history(changes, changes_per_account);
  return 0;
}
