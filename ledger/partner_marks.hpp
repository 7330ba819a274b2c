// Which partners have transacted on an account: what decides whether a partner token may
// follow the account's balance (protocol op `subscribe`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "ledger/account_rules.hpp"

namespace settle::ledger {

/// Marks beyond the bits of account_state::partner_bits: "partner\0account" keys. Only
/// partners past the first 64 a process has seen land here.
using partner_spill = absl::flat_hash_set<std::string>;

/// The bit a partner has in account_state::partner_bits, or -1 when the first 64 bits are
/// taken. Bits are given out in the order partners are first seen, the same for every shard of
/// the process; they are not stored (snapshots keep names). Thread-safe.
int partner_bit(std::string_view partner);
/// The partner that has bit `bit` ("" if none yet).
std::string partner_of_bit(int bit);

/// One thread's memo of partner_bit(), which takes a process-wide lock: the ledger shards
/// mark a partner on every bet, win and rollback.
class partner_bit_memo {
public:
  int bit(std::string_view partner);

private:
  absl::flat_hash_map<std::string, int> bits_;
};

/// Records that `partner` transacted on `account` (state `st`, spill of its owner).
void mark_partner(account_state& st, partner_spill& spill, std::string_view account,
                  std::string_view partner, partner_bit_memo& memo);
void mark_partner(account_state& st, partner_spill& spill, std::string_view account,
                  std::string_view partner);
/// True if `partner` has transacted on `account`.
bool has_partner(const account_state& st, const partner_spill& spill, std::string_view account,
                 std::string_view partner);
/// The partners marked in `st`'s bits (not the spill), in bit order.
std::vector<std::string> partners_in_bits(const account_state& st);

}  // namespace settle::ledger
