// Test helpers for the durable image: a writer that produces journal records the way the
// engine does (tracking each account's balance and version), and an image comparison.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ledger/stable_hash.hpp"
#include "persistence/durable_image.hpp"

namespace settle::persistence::test {

using protocol::account_status;
using protocol::txn_kind;
using protocol::txn_status;

inline uint32_t shard_of(const std::string& account, uint32_t shards) {
  return static_cast<uint32_t>(ledger::stable_hash(account) % shards);
}

/// Produces records with the versions and balances the engine would write.
class record_writer {
public:
  struct account {
    int64_t balance = 0;
    uint64_t version = 0;
    std::string currency;
  };

  std::vector<journal_record> records;
  std::map<std::string, account> accounts;
  int64_t now_ms = 1'790'000'000'000;

  journal_record& open(const std::string& id, const std::string& currency = "EUR") {
    accounts[id].currency = currency;
    auto& r = base(id);
    r.type = record_type::open;
    return r;
  }
  journal_record& status(const std::string& id, account_status s) {
    auto& r = base(id);
    r.type = record_type::status;
    r.status = s;
    r.version_after = ++accounts[id].version;
    return r;
  }
  /// An applied bet, win, rollback, deposit or withdrawal; `amount` is the signed change.
  journal_record& player(const std::string& id, txn_kind kind, const std::string& txn_id,
                         int64_t amount, const std::string& partner = "acme",
                         const std::string& ref = "") {
    bool partnered = kind == txn_kind::bet || kind == txn_kind::win || kind == txn_kind::rollback;
    auto& r = applied(id, amount);
    r.kind = kind;
    r.txn_id = txn_id;
    r.id_namespace = partnered ? partner : "";
    r.partner = partnered ? partner : "";
    r.ref = ref;
    r.fingerprint = ledger::stable_hash(txn_id);
    return r;
  }
  /// A noop or duplicate (no balance change).
  journal_record& note(const std::string& id, txn_kind kind, txn_status outcome,
                       const std::string& txn_id, const std::string& ref = "",
                       const std::string& partner = "acme") {
    auto& r = base(id);
    r.kind = kind;
    r.outcome = outcome;
    r.txn_id = txn_id;
    r.id_namespace = partner;
    r.partner = partner;
    r.ref = ref;
    r.fingerprint = ledger::stable_hash(txn_id);
    r.balance_after = accounts[id].balance;
    r.version_after = accounts[id].version;
    return r;
  }
  journal_record& transfer(const std::string& id, leg_role role, const std::string& other,
                           const std::string& txn_id, int64_t amount) {
    auto& r = applied(id, amount);
    r.role = role;
    r.kind = txn_kind::transfer;
    r.txn_id = txn_id;
    r.to = other;
    r.fingerprint = ledger::stable_hash(txn_id);
    return r;
  }

private:
  journal_record& base(const std::string& id) {
    journal_record r;
    r.account = id;
    r.currency = accounts[id].currency;
    r.at_unix_ms = now_ms;
    now_ms += 1000;
    records.push_back(std::move(r));
    return records.back();
  }
  journal_record& applied(const std::string& id, int64_t amount) {
    auto& acc = accounts[id];
    acc.balance += amount;
    auto& r = base(id);
    r.amount = amount;
    r.balance_after = acc.balance;
    r.version_after = ++acc.version;
    return r;
  }
};

/// Appends `steps` random operations on players p0..p{players-1} (opened, each in one of three
/// currencies and funded, when first seen): bets, wins, payments, rollbacks, noop rollbacks
/// and transfers, some refunded and some left without their credit. Ids get `prefix` so calls
/// do not collide. Returns how many transfers were left open.
inline int mixed_workload(record_writer& w, uint32_t seed, int players, int steps,
                          const std::string& prefix) {
  std::mt19937 rng{seed};
  const char* currencies[] = {"EUR", "USD", "GBP"};
  std::vector<std::string> names;
  for (int i = 0; i < players; ++i) {
    names.push_back("p" + std::to_string(i));
    if (!w.accounts.contains(names.back())) {
      w.open(names.back(), currencies[i % 3]);
      w.player(names.back(), txn_kind::deposit, prefix + "dep" + std::to_string(i), 10'000);
    }
  }
  int open_transfers = 0;
  for (int i = 0; i < steps; ++i) {
    const auto& p = names[rng() % names.size()];
    std::string id = prefix + std::to_string(i);
    std::string partner = rng() % 2 ? "acme" : "zeta";
    int64_t amount = 1 + static_cast<int64_t>(rng() % 50);
    switch (rng() % 8) {
      case 0:
        w.player(p, txn_kind::bet, id, -amount, partner);
        break;
      case 1:
        w.player(p, txn_kind::win, id, amount, partner);
        break;
      case 2:
        w.player(p, txn_kind::deposit, id, amount);
        break;
      case 3:
        w.player(p, txn_kind::withdraw, id, -amount);
        break;
      case 4: {
        const auto& q = names[rng() % names.size()];
        if (q == p || w.accounts[q].currency != w.accounts[p].currency)
          break;
        w.transfer(p, leg_role::transfer_debit, q, id, -amount);
        if (rng() % 5 == 0)
          w.transfer(p, leg_role::transfer_refund, q, id, amount);
        else if (rng() % 5 == 0)
          ++open_transfers;  // the credit is not durable yet
        else
          w.transfer(q, leg_role::transfer_credit, p, id, amount);
        break;
      }
      case 5:
        w.player(p, txn_kind::bet, id, -amount, "acme");
        if (rng() % 2)
          w.player(p, txn_kind::rollback, "rb" + id, amount, "acme", id);
        break;
      case 6:
        w.note(p, txn_kind::rollback, txn_status::noop, "rb" + id, id, partner);
        break;
      case 7:
        w.status(p, rng() % 2 ? account_status::blocked : account_status::active);
        break;
    }
  }
  return open_transfers;
}

inline void fold_all(durable_image& img, const std::vector<journal_record>& records) {
  for (const auto& r : records)
    fold(img, shard_of(r.account, img.shards), r);
}

/// "" when `a` and `b` hold the same state, else the first difference found.
inline std::string image_difference(const durable_image& a, const durable_image& b) {
  if (a.shards != b.shards)
    return "shard counts differ";
  for (uint32_t s = 0; s < a.shards; ++s) {
    const auto &pa = a.positions[s], &pb = b.positions[s];
    if (!(pa == pb))
      return "position of shard " + std::to_string(s) + " differs: seq " +
             std::to_string(pa.next_seq) + "/" + std::to_string(pb.next_seq) + ", entry " +
             pa.last_entry_id + "/" + pb.last_entry_id;
    if (a.accounts[s].size() != b.accounts[s].size())
      return "shard " + std::to_string(s) + " account counts differ: " +
             std::to_string(a.accounts[s].size()) + "/" + std::to_string(b.accounts[s].size());
    for (const auto& [id, x] : a.accounts[s]) {
      auto it = b.accounts[s].find(id);
      if (it == b.accounts[s].end())
        return "account " + id + " missing";
      const auto& y = it->second;
      if (!(x == y))  // every field, the partner marks' bits included
        return "account " + id + " differs: balance " + std::to_string(x.balance) + "/" +
               std::to_string(y.balance) + ", version " + std::to_string(x.version) + "/" +
               std::to_string(y.version) + ", status " + std::to_string(int(x.status)) + "/" +
               std::to_string(int(y.status)) + ", partner bits " +
               std::to_string(x.partner_bits) + "/" + std::to_string(y.partner_bits);
    }
    if (a.partner_spill[s] != b.partner_spill[s])
      return "shard " + std::to_string(s) + " partner marks beyond the bits differ";
  }
  if (a.ids.size() != b.ids.size())
    return "id counts differ: " + std::to_string(a.ids.size()) + "/" +
           std::to_string(b.ids.size());
  for (const auto& [key, x] : a.ids) {
    auto it = b.ids.find(key);
    // Ids are kept by their hash; the hash names the one that differs.
    std::string name = std::to_string(key.hi) + ":" + std::to_string(key.lo);
    if (it == b.ids.end())
      return "id " + name + " missing";
    const auto& y = it->second;
    if (!(x == y))  // every field
      return "id " + name + " differs: state " + std::to_string(int(x.state)) + "/" +
             std::to_string(int(y.state)) + ", kind " + std::to_string(int(x.kind)) + "/" +
             std::to_string(int(y.kind)) + ", outcome " + std::to_string(int(x.outcome)) + "/" +
             std::to_string(int(y.outcome)) + ", currency " + std::to_string(x.currency) + "/" +
             std::to_string(y.currency) + ", amount " + std::to_string(x.amount) + "/" +
             std::to_string(y.amount) + ", created " + std::to_string(x.created_at_s) + "/" +
             std::to_string(y.created_at_s) + ", version " + std::to_string(x.version) + "/" +
             std::to_string(y.version) + ", rolled back " + std::to_string(x.rolled_back) +
             "/" + std::to_string(y.rolled_back) + ", account '" + x.account + "'/'" +
             y.account + "'";
  }
  if (a.clearing.size() != b.clearing.size())
    return "clearing account counts differ";
  for (const auto& [key, x] : a.clearing) {
    auto it = b.clearing.find(key);
    if (it == b.clearing.end())
      return "clearing account '" + key.first + "' missing";
    const auto& y = it->second;
    if (x.balance != y.balance || x.version != y.version || x.bets != y.bets ||
        x.wins != y.wins || x.rollbacks != y.rollbacks || x.bet_count != y.bet_count ||
        x.win_count != y.win_count || x.rollback_count != y.rollback_count)
      return "clearing account '" + key.first + "' differs: balance " +
             std::to_string(x.balance) + "/" + std::to_string(y.balance);
  }
  if (a.transfers.size() != b.transfers.size())
    return "open transfer counts differ: " + std::to_string(a.transfers.size()) + "/" +
           std::to_string(b.transfers.size());
  for (const auto& [key, x] : a.transfers) {
    auto it = b.transfers.find(key);
    if (it == b.transfers.end() || !(it->second == x))
      return "open transfer " + x.txn_id + " differs";
  }
  return {};
}

}  // namespace settle::persistence::test
