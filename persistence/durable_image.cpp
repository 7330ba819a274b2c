#include "persistence/durable_image.hpp"

#include <cstdlib>
#include <stdexcept>

#include "ledger/stable_hash.hpp"

namespace settle::persistence {

namespace {

using protocol::txn_kind;
using protocol::txn_status;

[[noreturn]] void fail(const journal_record& r, const std::string& why) {
  throw std::runtime_error("account '" + r.account + "': " + why);
}

std::string version_text(uint64_t have, const journal_record& r) {
  return "record version " + std::to_string(r.version_after) + " after account version " +
         std::to_string(have);
}

ledger::id_entry done_entry(const journal_record& r, txn_status outcome) {
  ledger::id_entry e;
  e.fingerprint = r.fingerprint;
  e.created_at_s = r.at_unix_ms / 1000;
  e.state = ledger::id_state::done;
  e.kind = r.kind;
  e.outcome = outcome;
  e.balance = r.balance_after;
  e.version = r.version_after;
  return e;
}

ledger::account_state& existing(durable_image& img, uint32_t shard, const journal_record& r) {
  auto it = img.accounts[shard].find(r.account);
  if (it == img.accounts[shard].end())
    fail(r, "unknown account (record version " + std::to_string(r.version_after) + ")");
  return it->second;
}

void check_currency(const ledger::account_state& acc, const journal_record& r) {
  if (ledger::pack_currency(r.currency) != acc.currency)
    fail(r, "record currency '" + r.currency + "' but account currency " +
                ledger::currency_text(acc.currency) + " (record version " +
                std::to_string(r.version_after) + ")");
}

/// The clearing leg and id of an applied bet, win, rollback, deposit or withdrawal.
void fold_player(durable_image& img, const ledger::account_state& acc, const journal_record& r) {
  if (r.kind == txn_kind::transfer)
    fail(r, "transfer recorded as a player leg (version " + std::to_string(r.version_after) + ")");
  ledger::clearing_delta d;
  bool partnered = r.kind == txn_kind::bet || r.kind == txn_kind::win ||
                   r.kind == txn_kind::rollback;
  d.partner = partnered ? r.partner : std::string{};
  d.currency = acc.currency;
  ledger::record_leg(d, r.kind, std::abs(r.amount));
  // record_leg derives the counterparty's change from the kind: a sign that does not fit the
  // kind (a bet that credits) would break double entry.
  if (d.balance_change != -r.amount)
    fail(r, "amount " + std::to_string(r.amount) + " has the wrong sign for a " +
                std::string{protocol::to_string(r.kind)} + " (version " +
                std::to_string(r.version_after) + ")");
  img.clearing[{d.partner, d.currency}].apply(d);

  auto e = done_entry(r, txn_status::applied);
  if (r.kind == txn_kind::bet) {
    e.account = r.account;
    e.amount = -r.amount;
    e.currency = acc.currency;
  }
  img.ids[ledger::hash_id(r.id_namespace, r.txn_id)] = std::move(e);
  if (r.kind == txn_kind::rollback) {
    auto bet = img.ids.find(ledger::hash_id(r.id_namespace, r.ref));
    if (bet != img.ids.end())
      bet->second.rolled_back = true;
  }
}

void fold_transfer_leg(durable_image& img, const journal_record& r) {
  if (r.kind != txn_kind::transfer)
    fail(r, "transfer leg of a " + std::string{protocol::to_string(r.kind)} + " (version " +
                std::to_string(r.version_after) + ")");
  std::string key = ledger::id_key("", r.txn_id);
  switch (r.role) {
    case leg_role::transfer_debit: {
      img.ids[ledger::hash_id(r.id_namespace, r.txn_id)] = done_entry(r, txn_status::applied);
      auto& t = img.transfers[key];
      t.debit_seen = true;
      t.source = r.account;
      t.target = r.to;
      t.amount = -r.amount;
      t.currency = r.currency;
      t.txn_id = r.txn_id;
      t.fingerprint = r.fingerprint;
      t.at_unix_ms = r.at_unix_ms;
      if (t.credit_seen)
        img.transfers.erase(key);
      break;
    }
    case leg_role::transfer_credit: {
      auto& t = img.transfers[key];
      t.credit_seen = true;
      if (!t.debit_seen) {  // shards are folded one after another: the debit may come later
        t.target = r.account;
        t.source = r.to;
        t.amount = r.amount;
        t.currency = r.currency;
        t.txn_id = r.txn_id;
        t.fingerprint = r.fingerprint;
        t.at_unix_ms = r.at_unix_ms;
      } else {
        img.transfers.erase(key);
      }
      break;
    }
    case leg_role::transfer_refund:
      // A refused transfer is not remembered: a retry of its id is a new attempt.
      img.ids.erase(ledger::hash_id(r.id_namespace, r.txn_id));
      img.transfers.erase(key);
      break;
    case leg_role::player:
      break;
  }
}

void fold_applied(durable_image& img, uint32_t shard, const journal_record& r) {
  auto& acc = existing(img, shard, r);
  if (r.version_after <= acc.version)
    return;  // already in the image (the snapshot had it): ids and clearing too
  if (r.version_after != acc.version + 1)
    fail(r, "version gap: " + version_text(acc.version, r));
  check_currency(acc, r);
  int64_t next = 0;
  if (r.amount == INT64_MIN || __builtin_add_overflow(acc.balance, r.amount, &next))
    fail(r, "balance overflow at version " + std::to_string(r.version_after));
  if (next != r.balance_after)
    fail(r, "balance_after mismatch at version " + std::to_string(r.version_after) +
                ": record says " + std::to_string(r.balance_after) + ", folding gives " +
                std::to_string(next));
  if (r.role == leg_role::player) {
    fold_player(img, acc, r);  // throws before the account changes
    if (!r.partner.empty())
      ledger::mark_partner(acc, img.partner_spill[shard], r.account, r.partner);
  }
  else
    fold_transfer_leg(img, r);
  acc.balance = next;
  acc.version = r.version_after;
}

/// A noop or duplicate: the outcome is remembered, no balance changes.
void fold_note(durable_image& img, uint32_t shard, const journal_record& r) {
  auto& acc = existing(img, shard, r);
  // A lower version is an old note replayed; a higher one means records are missing.
  if (r.version_after > acc.version)
    fail(r, "version gap in a note: " + version_text(acc.version, r));
  if (r.amount != 0)
    fail(r, "note with amount " + std::to_string(r.amount) + " (version " +
                std::to_string(r.version_after) + ")");
  if (!r.partner.empty())  // a rollback that moved nothing still names its partner
    ledger::mark_partner(acc, img.partner_spill[shard], r.account, r.partner);
  img.ids.try_emplace(ledger::hash_id(r.id_namespace, r.txn_id), done_entry(r, r.outcome));
  if (r.outcome == txn_status::noop && r.kind == txn_kind::rollback) {
    // A rollback that found no bet: the tombstone refuses the bet if it arrives later.
    ledger::id_entry t;
    t.state = ledger::id_state::tombstone;
    t.kind = txn_kind::bet;
    t.account = r.account;
    t.currency = acc.currency;
    t.created_at_s = r.at_unix_ms / 1000;
    img.ids.try_emplace(ledger::hash_id(r.id_namespace, r.ref), std::move(t));
  }
}

void fold_status(durable_image& img, uint32_t shard, const journal_record& r) {
  auto& acc = existing(img, shard, r);
  if (r.version_after <= acc.version)
    return;
  if (r.version_after != acc.version + 1)
    fail(r, "version gap in a status change: " + version_text(acc.version, r));
  acc.status = r.status;
  acc.version = r.version_after;
}

void fold_open(durable_image& img, uint32_t shard, const journal_record& r) {
  auto currency = ledger::pack_currency(r.currency);
  if (currency == 0)
    fail(r, "open with invalid currency '" + r.currency + "'");
  auto [it, added] = img.accounts[shard].try_emplace(r.account);
  if (added) {
    it->second.currency = currency;
    it->second.kind = protocol::account_kind::player;
    return;
  }
  if (it->second.currency != currency)  // same currency: the open is replayed, harmless
    fail(r, "open in " + r.currency + " of an existing " +
                ledger::currency_text(it->second.currency) + " account (at version " +
                std::to_string(it->second.version) + ")");
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
  switch (r.type) {
    case record_type::open:
      fold_open(img, shard, r);
      break;
    case record_type::status:
      fold_status(img, shard, r);
      break;
    case record_type::txn:
      if (r.outcome == txn_status::applied)
        fold_applied(img, shard, r);
      else
        fold_note(img, shard, r);
      break;
  }
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
