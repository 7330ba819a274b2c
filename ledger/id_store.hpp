// Remembered transaction ids: results for idempotent retries, bets for rollbacks, tombstones
// for rollbacks that overtook their bet. One store per ledger shard.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
  int64_t amount = 0;        // bets: refundable amount; tombstones: rollback amount if given
  int64_t balance = 0;       // result: balance after
  uint64_t version = 0;      // result: version after
  std::string account;       // bets and tombstones: player account
  currency_code currency = 0;
  id_state state = id_state::pending;
  txn_kind kind = txn_kind::bet;
  txn_status outcome = txn_status::applied;
  bool rolled_back = false;  // bets: a rollback has claimed (and refunds) this bet
  bool has_amount = false;   // tombstones: whether the rollback named an amount
  bool stalled = false;      // pending, and the journal's answer is overdue: retries get
                             // `unavailable` instead of waiting
};

/// Stable fingerprint of everything that identifies a transaction's content: a retry must
/// match it exactly, otherwise the id is in conflict.
uint64_t fingerprint(const protocol::request& txn);

/// Map key of a transaction id within its namespace (partner id, or "" for payments).
std::string id_key(std::string_view ns, std::string_view id);

/// The namespace a transaction's id lives in: its partner for bets, wins and rollbacks; a
/// shared one for deposits, withdrawals and transfers.
std::string_view id_namespace(const protocol::request& txn);

/// Id -> entry with time-based retention. Memory per remembered id, measured by
/// bench/id_memory.cpp: 230-300 heap bytes for typical id lengths (key and entry in the map
/// slot, the key's heap copy above 15 bytes, and the table's spare capacity).
class id_store {
public:
  id_entry* find(const std::string& key);
  /// Inserts a new entry; asserts the key was absent.
  id_entry& insert(std::string key, id_entry entry);
  void erase(const std::string& key);
  /// Drops every entry older than `retention_s` at time `now_s`; returns how many.
  size_t expire(int64_t now_s, int64_t retention_s);
  size_t size() const { return entries_.size(); }

private:
  absl::flat_hash_map<std::string, id_entry> entries_;
};

}  // namespace settle::ledger
