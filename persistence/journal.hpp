// Journal records: the durable form of every change to an account. One journal shard per
// account shard, so all records of one account sit in one stream in the order they happened.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
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

/// What became of an appended record.
enum class durability : uint8_t {
  durable,    // its batch is in Redis
  failed,     // its batch is certainly not in Redis
  uncertain,  // Redis did not answer in time; durable or failed follows once it is known
};

/// Where journal records go. Thread-safe.
class journal_writer {
public:
  /// Called exactly once with `durable` or `failed`, possibly preceded by one `uncertain`;
  /// may run on another thread and must not block.
  using completion = std::function<void(durability)>;

  virtual ~journal_writer() = default;
  /// Appends `records` as a group: they land in one batch, all or none, in this order, and
  /// `done` reports on all of them. False (and `done` never called) when the queue is full.
  virtual bool append_group(uint32_t shard, std::vector<journal_record> records,
                            completion done) = 0;
  /// One record.
  bool append(uint32_t shard, journal_record record, completion done) {
    std::vector<journal_record> one;
    one.push_back(std::move(record));
    return append_group(shard, std::move(one), std::move(done));
  }
};

/// No durability: every record is "durable" at once. For unit tests of the actor layer.
class memory_journal final : public journal_writer {
public:
  bool append_group(uint32_t, std::vector<journal_record>, completion done) override {
    done(durability::durable);
    return true;
  }
};

}  // namespace settle::persistence
