// The durable image: what the journal (and the snapshot it continues) says the ledger is,
// built by folding journal records in order. Pure: no Redis, no actors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "ledger/account_rules.hpp"
#include "ledger/clearing.hpp"
#include "ledger/currency.hpp"
#include "ledger/id_store.hpp"
#include "ledger/partner_marks.hpp"
#include "persistence/journal.hpp"

namespace settle::persistence {

/// How far one journal shard has been folded: where its hash chain continues.
struct stream_position {
  uint64_t next_seq = 0;      // sequence number of the next batch to fold
  uint64_t last_hash = 0;     // hash of the last folded batch (0: none yet)
  std::string last_entry_id;  // Redis stream id of the last folded entry, "" = none
  friend bool operator==(const stream_position&, const stream_position&) = default;
};

/// A transfer of which only one side has been folded so far.
struct open_transfer {
  std::string source, target;
  std::string currency;
  int64_t amount = 0;  // > 0: what moves from source to target
  std::string txn_id;
  uint64_t fingerprint = 0;
  int64_t at_unix_ms = 0;
  bool debit_seen = false, credit_seen = false;
  friend bool operator==(const open_transfer&, const open_transfer&) = default;
};

/// Accounts, remembered ids, clearing accounts and half-seen transfers as of the positions.
struct durable_image {
  uint32_t shards = 0;
  // Per shard, account id -> state.
  std::vector<ledger::account_map> accounts;
  // Per shard, the partner marks that do not fit the accounts' bits (ledger/partner_marks).
  std::vector<ledger::partner_spill> partner_spill;
  // Key = ledger::hash_id(namespace, id); only done entries and tombstones.
  ledger::id_map ids;
  // (partner or "" for the house, currency) -> clearing account.
  std::map<std::pair<std::string, ledger::currency_code>, ledger::clearing_account> clearing;
  // Key = id_key("", txn id): debit without credit/refund, or credit before its debit.
  absl::flat_hash_map<std::string, open_transfer> transfers;
  std::vector<stream_position> positions;  // per shard

  explicit durable_image(uint32_t shards = 0);
};

/// Applies one record of `shard` to the image. Throws std::runtime_error with a clear message
/// naming the account and version on an inconsistency (version gap, balance_after mismatch,
/// unknown account, open of an existing account with another currency, record in the wrong
/// shard).
void fold(durable_image& img, uint32_t shard, const journal_record& r);

/// Every currency sums to zero (players + clearing accounts, with the amounts of half-seen
/// transfers counted as in flight); returns "" or a message naming the currency and the sum.
std::string check_zero_sum(const durable_image& img);

/// Drops ids older than retention (created_at_s + retention_s < now_s), like
/// ledger::id_store::expire.
void expire_ids(durable_image& img, int64_t now_s, int64_t retention_s);

}  // namespace settle::persistence
