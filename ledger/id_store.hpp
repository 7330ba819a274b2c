// Remembered transaction ids: results for idempotent retries, bets for rollbacks, tombstones
// for rollbacks that overtook their bet. One store for the whole engine, shared by the ledger
// shards.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <mutex>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ledger/currency.hpp"
#include "protocol/messages.hpp"

namespace settle::ledger {

using protocol::txn_kind;
using protocol::txn_status;

/// Life of one id: `pending` while its transaction is being applied, `done` once it has a
/// result, `tombstone` when a rollback named it before the bet arrived.
enum class id_state : uint8_t { pending, done, tombstone };

/// What is remembered per id. For bets the player account, amount and currency are kept so
/// that a later rollback can be checked and refunded without asking anyone.
struct id_entry {
  uint64_t fingerprint = 0;  // stable hash of the request fields (see fingerprint())
  int64_t created_at_s = 0;  // unix seconds; drives retention
  int64_t amount = 0;        // bets: the refundable amount
  int64_t balance = 0;       // result: balance after
  uint64_t version = 0;      // result: version after
  std::string account;       // bets and tombstones: player account
  currency_code currency = 0;
  id_state state = id_state::pending;
  txn_kind kind = txn_kind::bet;
  txn_status outcome = txn_status::applied;
  bool rolled_back = false;  // bets: a rollback has claimed (and refunds) this bet
  friend bool operator==(const id_entry&, const id_entry&) = default;
};

/// Stable fingerprint of everything that identifies a transaction's content: a retry must
/// match it exactly, otherwise the id is in conflict.
uint64_t fingerprint(const protocol::request_view& txn);
uint64_t fingerprint(const protocol::request& txn);

/// Map key of a transaction id within its namespace (partner id, or "" for payments): the
/// form the durable image and snapshots keep.
std::string id_key(std::string_view ns, std::string_view id);

/// The 128-bit identity of an id key (XXH3-128 of the id_key bytes): what the engine's store
/// keys on, so a remembered id costs no heap string and is compared inside its slot. Two
/// different ids sharing a hash would only make the second one look like a conflict
/// (`id_conflict`, the fingerprints differ); at 128 bits that does not happen in practice.
struct id_hash {
  uint64_t hi = 0, lo = 0;
  friend bool operator==(const id_hash&, const id_hash&) = default;
};

/// Remembered ids by their hash; the low half of the hash (already uniform) indexes the table.
struct id_hasher {
  size_t operator()(const id_hash& h) const { return h.lo; }
};
using id_map = absl::flat_hash_map<id_hash, id_entry, id_hasher>;

/// id_hash of id_key(ns, id), without building the key string.
id_hash hash_id(std::string_view ns, std::string_view id);
/// id_hash of an id_key string.
id_hash hash_id_key(std::string_view key);

/// The namespace a transaction's id lives in: its partner for bets, wins and rollbacks; a
/// shared one for deposits, withdrawals and transfers.
std::string_view id_namespace(const protocol::request_view& txn);
std::string_view id_namespace(const protocol::request& txn);

/// Id -> entry with time-based retention, shared by every ledger shard of the engine:
/// striped by id, each stripe behind its own mutex, so shards look ids up concurrently and a
/// retry or a conflicting use of an id is seen whichever shard it reaches. An entry is only
/// changed by the shard that owns it (the shard of its account); others only read it (an id
/// conflict, a rollback naming another account's bet). Memory per remembered id: one slot of
/// the stripe's table (the 16-byte id_hash and the entry) plus the table's spare capacity,
/// measured by bench/id_memory.cpp.
class id_store {
public:
  /// The high half of the hash chooses the stripe, the low half indexes the stripe's table.
  using hasher = id_hasher;
  using map = id_map;

  /// `stripes` is rounded up to a power of two (at least two). Many small stripes keep each
  /// table's growth (a rehash under its lock) short: the shards run on one thread, and a
  /// rehash of a big table would stall every account.
  explicit id_store(size_t stripes = 1024);
  id_store(const id_store&) = delete;
  id_store& operator=(const id_store&) = delete;

  /// Runs `fn(map&)` with the stripe holding `key` locked and returns its result. `fn` must
  /// not lock another stripe (shards take one stripe at a time, so they cannot deadlock).
  template <class F>
  decltype(auto) with(const id_hash& key, F&& fn) {
    auto& s = stripes_[key.hi >> shift_];
    std::lock_guard<std::mutex> lock(s.mutex);
    return fn(s.entries);
  }

  /// Starts loading the memory a later lookup of `key` touches. A shard prefetches a whole
  /// batch before applying it: the store is far bigger than the caches, and a miss waited
  /// for one key at a time costs hundreds of nanoseconds each.
  void prefetch(const id_hash& key) {
    auto& s = stripes_[key.hi >> shift_];
    std::lock_guard<std::mutex> lock(s.mutex);  // the table may be resized meanwhile
    s.entries.prefetch(key);
  }

  /// Calls `fn(key, entry)` for every entry, one stripe locked at a time (tests and tools:
  /// the shards go on meanwhile, so only a quiet engine gives a consistent picture).
  template <class F>
  void for_each(F&& fn) const {
    for (const auto& s : stripes_) {
      std::lock_guard<std::mutex> lock(s.mutex);
      for (const auto& [key, entry] : s.entries)
        fn(key, entry);
    }
  }

  /// Inserts or replaces an entry (recovery, before the shards run; thread-safe anyway).
  void put(const id_hash& key, id_entry entry);
  /// Makes room for `total` ids spread over the stripes (recovery: no growth while loading).
  void reserve(size_t total);
  /// Drops entries older than `retention_s` (never pending ones) in stripes
  /// `first`, `first + step`, ...; returns how many.
  size_t expire(int64_t now_s, int64_t retention_s, size_t first = 0, size_t step = 1);
  size_t size() const;
  size_t stripes() const { return stripes_.size(); }

private:
  struct stripe {
    mutable std::mutex mutex;
    map entries;
  };
  std::vector<stripe> stripes_;
  unsigned shift_ = 63;
};

}  // namespace settle::ledger
