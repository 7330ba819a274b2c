// Journal records: the durable form of every change to an account, and the one input of
// ledger::apply (ledger/apply.hpp). Their encoding is persistence's (persistence/journal_batch).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace settle::ledger {

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
  std::string round, game;   // bets, wins, rollbacks: as sent (history shows them)
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
  std::string_view round, game;
  uint64_t fingerprint = 0;
  int64_t amount = 0;
  int64_t balance_after = 0;
  uint64_t version_after = 0;
};

}  // namespace settle::ledger
