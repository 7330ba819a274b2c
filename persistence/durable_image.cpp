#include "persistence/durable_image.hpp"

#include <cstdlib>
#include <stdexcept>

#include "ledger/apply.hpp"
#include "ledger/stable_hash.hpp"

namespace settle::persistence {

namespace {

using protocol::txn_kind;

[[noreturn]] void fail(const journal_record& r, const std::string& why) {
  throw std::runtime_error("account '" + r.account + "': " + why);
}

/// The image's half-seen transfers: a debit waits for its credit (or refund) and a credit
/// folded before its debit (shards are folded one after another) waits for the debit.
void track_transfer(durable_image& img, const journal_record& r, ledger::transfer_half half) {
  std::string key = ledger::id_key("", r.txn_id);
  if (half == ledger::transfer_half::refund) {
    img.transfers.erase(key);
    return;
  }
  auto& t = img.transfers[key];
  const bool debit = half == ledger::transfer_half::debit;
  if (debit ? t.credit_seen : t.debit_seen) {
    img.transfers.erase(key);  // both sides are in: nothing is in flight
    return;
  }
  (debit ? t.debit_seen : t.credit_seen) = true;
  t.source = debit ? r.account : r.to;
  t.target = debit ? r.to : r.account;
  t.amount = debit ? -r.amount : r.amount;
  t.currency = r.currency;
  t.txn_id = r.txn_id;
  t.fingerprint = r.fingerprint;
  t.at_unix_ms = r.at_unix_ms;
}

/// Carries out `c` (the change ledger::apply described for `r`) on the image.
void carry_out(durable_image& img, uint32_t shard, const journal_record& r,
               const record_view& v, const ledger::state_change& c) {
  auto& accounts = img.accounts[shard];
  auto acc = c.creates_account ? accounts.try_emplace(r.account).first : accounts.find(r.account);
  const uint64_t partner_bits = acc->second.partner_bits;
  acc->second = c.account;
  acc->second.partner_bits = partner_bits;  // marks are the store's (below)
  if (!c.mark.empty())
    ledger::mark_partner(acc->second, img.partner_spill[shard], r.account, c.mark);
  if (c.own == ledger::own_id_effect::remember)
    img.ids[ledger::own_key(v)] = ledger::remembered(v);
  else if (c.own == ledger::own_id_effect::remember_unless_known)
    img.ids.try_emplace(ledger::own_key(v), ledger::remembered(v));
  else if (c.own == ledger::own_id_effect::forget)
    img.ids.erase(ledger::own_key(v));
  if (c.ref == ledger::ref_id_effect::mark_rolled_back) {
    // The bet may have expired from the image already: nothing to mark then.
    if (auto bet = img.ids.find(ledger::ref_key(v)); bet != img.ids.end())
      bet->second.rolled_back = true;
  } else if (c.ref == ledger::ref_id_effect::tombstone) {
    img.ids.try_emplace(ledger::ref_key(v), ledger::tombstone_of(v));
  }
  if (c.clearing.present) {
    ledger::clearing_delta d;
    d.partner = std::string{c.clearing.owner};
    d.currency = c.clearing.currency;
    ledger::record_leg(d, c.clearing.kind, c.clearing.amount);
    img.clearing[{d.partner, d.currency}].apply(d);
  }
  if (c.half != ledger::transfer_half::none)
    track_transfer(img, r, c.half);
}

}  // namespace

durable_image::durable_image(uint32_t n)
    : shards(n), accounts(n), partner_spill(n), positions(n) {}

void fold(durable_image& img, uint32_t shard, const journal_record& r) {
  if (img.shards == 0 || shard >= img.shards)
    fail(r, "record of journal shard " + std::to_string(shard) + " but the image has " +
                std::to_string(img.shards) + " shards");
  uint32_t home = static_cast<uint32_t>(ledger::stable_hash(r.account) % img.shards);
  if (home != shard)
    fail(r, "record (version " + std::to_string(r.version_after) + ") in journal shard " +
                std::to_string(shard) + " but the account lives in shard " +
                std::to_string(home));
  auto& accounts = img.accounts[shard];
  auto acc = accounts.find(r.account);
  const auto v = view_of(r);
  // The one meaning of a record, the same the live ledger shard applies.
  auto change = ledger::apply(v, acc == accounts.end() ? nullptr : &acc->second);
  if (!change.fits())
    fail(r, change.problem);
  if (!change.stale)
    carry_out(img, shard, r, v, change);
}

std::string check_zero_sum(const durable_image& img) {
  std::map<ledger::currency_code, __int128> sums;  // no overflow however many accounts
  for (const auto& shard : img.accounts)
    for (const auto& [id, acc] : shard)
      sums[acc.currency] += acc.balance;
  for (const auto& [key, acc] : img.clearing)
    sums[key.second] += acc.balance;
  // Half a transfer: the money has left one account and not yet reached the other.
  for (const auto& [key, t] : img.transfers) {
    auto currency = ledger::pack_currency(t.currency);
    if (t.debit_seen && !t.credit_seen)
      sums[currency] += t.amount;
    else if (t.credit_seen && !t.debit_seen)
      sums[currency] -= t.amount;
  }
  for (const auto& [currency, sum] : sums) {
    if (sum == 0)
      continue;
    std::string text;
    unsigned __int128 mag = sum < 0 ? -static_cast<unsigned __int128>(sum)
                                    : static_cast<unsigned __int128>(sum);
    do {
      text.insert(text.begin(), static_cast<char>('0' + static_cast<int>(mag % 10)));
      mag /= 10;
    } while (mag != 0);
    if (sum < 0)
      text.insert(text.begin(), '-');
    return "currency " + ledger::currency_text(currency) + " sums to " + text +
           " (players, clearing accounts and transfers in flight)";
  }
  return {};
}

void expire_ids(durable_image& img, int64_t now_s, int64_t retention_s) {
  absl::erase_if(img.ids, [&](const auto& kv) {
    return kv.second.state != ledger::id_state::pending &&
           kv.second.created_at_s + retention_s < now_s;
  });
}

}  // namespace settle::persistence
