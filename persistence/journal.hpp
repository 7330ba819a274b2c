// Journal records: the durable form of every change to an account. One journal shard per
// account shard, so all records of one account sit in one stream in the order they happened.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"

namespace settle::persistence {

/// What a record changes.
enum class record_type : uint8_t {
  open,    // creates `account` in `currency` (balance 0, version 0)
  status,  // sets `status`; version_after = version + 1
  txn,     // one account's leg of a transaction (or a note without a balance change)
};

/// The account's part in a `txn` record.
enum class leg_role : uint8_t {
  player,           // bet, win, rollback, deposit, withdraw: the counterparty is a clearing
                    // account (partner:P:CUR, or house:CUR for payments)
  transfer_debit,   // transfer source; the transfer is committed once this is durable
  transfer_credit,  // transfer target
  transfer_refund,  // money given back to the source: the transfer was refused after all
};

/// The effects of one change, enough to re-apply it without re-deciding it. Replay applies a
/// record to its account only when version_after follows the account's version (so replaying
/// a record twice is harmless) and checks balance_after.
struct journal_record {
  record_type type = record_type::txn;
  std::string account;
  std::string currency;  // the account's currency, 3 letters
  int64_t at_unix_ms = 0;
  // status
  protocol::account_status status = protocol::account_status::active;
  // txn
  leg_role role = leg_role::player;
  protocol::txn_kind kind = protocol::txn_kind::bet;
  protocol::txn_status outcome = protocol::txn_status::applied;  // noop/duplicate: a note
  std::string txn_id;
  std::string id_namespace;  // partner, or "" for payments and transfers
  std::string partner;       // bets, wins, rollbacks: whose clearing account takes the other leg
  std::string ref;           // rollbacks: the bet id
  std::string to;            // transfers: the other account (target; the source for credits)
  uint64_t fingerprint = 0;  // of the request, for idempotent retries
  int64_t amount = 0;        // signed change of the account's balance (0 for notes)
  int64_t balance_after = 0;
  uint64_t version_after = 0;
};

/// The fields of a journal record as views (what the engine encodes on its hot path without
/// copying strings into a journal_record first).
struct record_view {
  record_type type = record_type::txn;
  std::string_view account;
  std::string_view currency;
  int64_t at_unix_ms = 0;
  protocol::account_status status = protocol::account_status::active;
  leg_role role = leg_role::player;
  protocol::txn_kind kind = protocol::txn_kind::bet;
  protocol::txn_status outcome = protocol::txn_status::applied;
  std::string_view txn_id, id_namespace, partner, ref, to;
  uint64_t fingerprint = 0;
  int64_t amount = 0;
  int64_t balance_after = 0;
  uint64_t version_after = 0;
};

/// The views of an owned record.
record_view view_of(const journal_record& r);

/// What became of appended records.
enum class durability : uint8_t {
  durable,    // their batch is in Redis
  failed,     // their batch is certainly not in Redis
  uncertain,  // Redis did not answer in time; durable or failed follows once it is known
};

/// Records of one journal shard handed to the writer together: a contiguous piece of one
/// stored batch (a batch may hold several chunks of its shard, never part of one).
struct journal_chunk {
  uint32_t shard = 0;
  uint64_t seq = 0;    // the shard's own chunk numbering: 1, 2, 3, ... in append order
  uint64_t epoch = 0;  // see journal_writer::append
  uint32_t records = 0;
  std::string bytes;   // the records, msgpack-encoded and concatenated (append_record)
};

/// Outcome of the chunks `first`..`last` of one shard. For each chunk exactly one `durable` or
/// `failed` is reported, possibly preceded by one `uncertain`; reports of a shard come in
/// chunk order. Runs on the writer's thread: it must not block.
using chunk_outcome = std::function<void(uint64_t first, uint64_t last, durability)>;

/// Where journal chunks go. Thread-safe.
class journal_writer {
public:
  virtual ~journal_writer() = default;
  /// Sets where the outcomes of `shard`'s chunks are reported. Call before its first append.
  virtual void attach(uint32_t shard, chunk_outcome done) = 0;
  /// Queues `chunk`. False when the queue is full or the shard is out of range; nothing is
  /// reported for a refused chunk. Chunks of one shard land in append order and never after a
  /// gap: once a chunk fails, every later chunk of that shard with the same or an older epoch
  /// fails too (without being written). A shard that undoes a failed chunk then appends with
  /// a newer epoch, so nothing built on the undone state can land.
  virtual bool append(journal_chunk chunk) = 0;
};

}  // namespace settle::persistence
