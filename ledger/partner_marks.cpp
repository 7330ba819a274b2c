#include "ledger/partner_marks.hpp"

#include <mutex>

#include <absl/container/flat_hash_map.h>

#include "ledger/keys.hpp"

namespace settle::ledger {

namespace {

/// The process's partner bits: 64 at most, never given back.
struct partner_bits_table {
  std::mutex mutex;
  absl::flat_hash_map<std::string, int> bits;
  std::vector<std::string> names;
};

partner_bits_table& table() {
  static partner_bits_table t;
  return t;
}

std::string spill_key(std::string_view account, std::string_view partner) {
  std::string k{partner};
  k.push_back('\0');  // '\0' never occurs in a partner id
  k.append(account);
  return k;
}

}  // namespace

int partner_bit(std::string_view partner) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  auto it = t.bits.find(key(partner));
  if (it != t.bits.end())
    return it->second;
  if (t.names.size() >= 64)
    return -1;
  int bit = static_cast<int>(t.names.size());
  t.names.emplace_back(partner);
  t.bits.emplace(std::string{partner}, bit);
  return bit;
}

std::string partner_of_bit(int bit) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mutex);
  return bit >= 0 && static_cast<size_t>(bit) < t.names.size() ? t.names[bit] : std::string{};
}

int partner_bit_memo::bit(std::string_view partner) {
  auto it = bits_.find(key(partner));
  if (it != bits_.end())
    return it->second;
  int b = partner_bit(partner);
  bits_.emplace(std::string{partner}, b);
  return b;
}

namespace {

void mark_bit(account_state& st, partner_spill& spill, std::string_view account,
              std::string_view partner, int bit) {
  if (bit >= 0)
    st.partner_bits |= uint64_t{1} << bit;
  else
    spill.insert(spill_key(account, partner));
}

}  // namespace

void mark_partner(account_state& st, partner_spill& spill, std::string_view account,
                  std::string_view partner, partner_bit_memo& memo) {
  mark_bit(st, spill, account, partner, memo.bit(partner));
}

void mark_partner(account_state& st, partner_spill& spill, std::string_view account,
                  std::string_view partner) {
  mark_bit(st, spill, account, partner, partner_bit(partner));
}

bool has_partner(const account_state& st, const partner_spill& spill, std::string_view account,
                 std::string_view partner) {
  int bit = partner_bit(partner);
  if (bit >= 0)
    return (st.partner_bits >> bit) & 1;
  return spill.contains(spill_key(account, partner));
}

std::vector<std::string> partners_in_bits(const account_state& st) {
  std::vector<std::string> out;
  for (int bit = 0; bit < 64; ++bit)
    if ((st.partner_bits >> bit) & 1)
      out.push_back(partner_of_bit(bit));
  return out;
}

}  // namespace settle::ledger
