// The rules for changing one account's balance: floors, status, currency, overflow.
#pragma once

#include <cstdint>
#include <string>

#include <absl/container/flat_hash_map.h>

#include "ledger/currency.hpp"
#include "protocol/messages.hpp"

namespace settle::ledger {

using protocol::account_kind;
using protocol::account_status;
using protocol::error_code;
using protocol::txn_kind;

/// Compact state of one account (what an idle account costs, besides its id).
struct account_state {
  int64_t balance = 0;
  uint64_t version = 0;  // +1 per applied change
  uint64_t partner_bits = 0;  // partners that transacted on it (ledger/partner_marks.hpp)
  currency_code currency = 0;
  account_kind kind = account_kind::player;
  account_status status = account_status::active;
  // The position of its newest change in its shard's history log (ledger/history.hpp; 0:
  // none). The shard's, like the partner marks; not part of the ledger's state (not
  // journaled, not compared), and put back with the account when a change is undone.
  uint64_t history_head = 0;
  friend bool operator==(const account_state& a, const account_state& b) {
    return a.balance == b.balance && a.version == b.version &&
           a.partner_bits == b.partner_bits && a.currency == b.currency && a.kind == b.kind &&
           a.status == b.status;
  }
};

/// Player accounts by id: what a ledger shard holds, idle or busy (a 72-byte slot per
/// account plus the table's spare room; ids longer than 15 bytes add a heap copy).
using account_map = absl::flat_hash_map<std::string, account_state>;

/// Which side of a transaction an account is on.
enum class leg_side : uint8_t { debit, credit };

/// One account's part of a transaction.
struct leg {
  txn_kind kind = txn_kind::bet;
  leg_side side = leg_side::debit;
  int64_t amount = 0;  // > 0
  currency_code currency = 0;
  bool transfer_target = false;  // the credited side of a transfer
  bool refund = false;  // a refused transfer's money going back: never refused when blocked
};

/// The player-side leg of a transaction of `kind` (transfers: the source account).
leg_side player_side(txn_kind kind);

/// True if this kind is refused on a blocked account. Bets, deposits and transfers are;
/// wins, rollbacks and withdrawals are not, so a player's own money is never trapped.
bool blocked_refuses(txn_kind kind, bool transfer_target);

/// Checks `l` against `acc` and applies it (balance and version) when allowed.
/// Returns error_code::none on success; on refusal `acc` is unchanged and `why` says why.
error_code apply_leg(account_state& acc, const leg& l, std::string& why);

}  // namespace settle::ledger
