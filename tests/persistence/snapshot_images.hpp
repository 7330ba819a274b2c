// Durable images for the snapshot tests: a small one with every kind of item (and every
// field away from its default), which also made the stored format-2 snapshot in
// test_snapshot_format.cpp, and a large one that needs many chunks. Both sum to zero, as every
// image written or read must.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "ledger/partner_marks.hpp"
#include "ledger/stable_hash.hpp"
#include "persistence/durable_image.hpp"

namespace settle::persistence::test {

inline ledger::account_state account_of(int64_t balance, uint64_t version, const char* currency,
                                        protocol::account_status status =
                                            protocol::account_status::active) {
  ledger::account_state a;
  a.balance = balance;
  a.version = version;
  a.currency = ledger::pack_currency(currency);
  a.status = status;
  return a;
}

inline void put_account(durable_image& img, const std::string& id, ledger::account_state a,
                        std::initializer_list<const char*> partners = {}) {
  auto s = static_cast<uint32_t>(ledger::stable_hash(id) % img.shards);
  for (const char* p : partners)
    ledger::mark_partner(a, img.partner_spill[s], id, p);
  img.accounts[s][id] = a;
}

/// Changes the house account of each currency so that the image sums to zero (as
/// check_zero_sum counts: accounts, clearing accounts, transfers in flight).
inline void balance_with_house(durable_image& img) {
  std::map<ledger::currency_code, int64_t> sums;
  for (const auto& shard : img.accounts)
    for (const auto& [id, a] : shard)
      sums[a.currency] += a.balance;
  for (const auto& [key, a] : img.clearing)
    sums[key.second] += a.balance;
  for (const auto& [key, t] : img.transfers)
    if (t.debit_seen != t.credit_seen)
      sums[ledger::pack_currency(t.currency)] += t.debit_seen ? t.amount : -t.amount;
  for (const auto& [currency, sum] : sums)
    img.clearing[{"", currency}].balance -= sum;
}

/// Two shards; EUR: alice 150 + bob 40 + acme -170 + house -40 + 20 in flight (bob's transfer
/// to alice, debited only) = 0; USD: carol 25 + house -25 = 0.
inline durable_image small_image() {
  durable_image img{2};
  put_account(img, "alice", account_of(150, 3, "EUR"), {"acme"});
  put_account(img, "bob", account_of(40, 7, "EUR", protocol::account_status::blocked),
              {"acme", "zeta"});
  put_account(img, "carol", account_of(25, 1, "USD"));
  auto eur = ledger::pack_currency("EUR"), usd = ledger::pack_currency("USD");
  img.clearing[{"acme", eur}] = ledger::clearing_account{-170, 9, 230, 60, 0, 5, 2, 0};
  img.clearing[{"", eur}] = ledger::clearing_account{-40, 2, 0, 0, 0, 0, 0, 0};
  img.clearing[{"", usd}] = ledger::clearing_account{-25, 1, 0, 0, 0, 0, 0, 0};

  ledger::id_entry bet;
  bet.fingerprint = 0x1122334455667788ull;
  bet.created_at_s = 1'790'000'123;
  bet.amount = 30;
  bet.balance = 120;
  bet.version = 2;
  bet.account = "alice";
  bet.currency = eur;
  bet.state = ledger::id_state::done;
  bet.kind = protocol::txn_kind::bet;
  bet.outcome = protocol::txn_status::applied;
  bet.rolled_back = true;
  img.ids[ledger::hash_id("acme", "bet-1")] = bet;
  ledger::id_entry tomb;
  tomb.fingerprint = 99;
  tomb.created_at_s = 1'790'000'456;
  tomb.account = "bob";
  tomb.currency = eur;
  tomb.state = ledger::id_state::tombstone;
  tomb.kind = protocol::txn_kind::rollback;
  tomb.outcome = protocol::txn_status::noop;
  img.ids[ledger::hash_id("acme", "rb-9")] = tomb;

  img.transfers[ledger::id_key("", "t-1")] =
      open_transfer{"bob", "alice", "EUR", 20, "t-1", 0xfeedull, 1'790'000'000'789, true, false};
  img.positions[0] = {12, 0xabcdef0123456789ull, "1790000000000-0"};
  img.positions[1] = {3, 0x42ull, "1790000000001-5"};
  return img;
}

/// `accounts` accounts and `ids` ids on `shards` shards, with long account ids (so that a small
/// chunk limit makes many chunks); the house account of each currency balances them.
inline durable_image large_image(uint32_t shards, int accounts, int ids) {
  durable_image img{shards};
  for (int i = 0; i < accounts; ++i) {
    std::string id = "player-with-a-fairly-long-account-id-" + std::to_string(i);
    put_account(img, id,
                account_of(i * 7, static_cast<uint64_t>(i % 13), i % 2 ? "EUR" : "USD",
                           i % 5 ? protocol::account_status::active
                                 : protocol::account_status::blocked));
  }
  for (int i = 0; i < ids; ++i) {
    ledger::id_entry e;
    e.state = ledger::id_state::done;
    e.fingerprint = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull;
    e.created_at_s = 1'790'000'000 + i;
    e.account = "player-" + std::to_string(i);
    e.amount = i;
    e.rolled_back = i % 3 == 0;
    img.ids[ledger::hash_id("acme", "bet-" + std::to_string(i))] = e;
  }
  balance_with_house(img);
  return img;
}

}  // namespace settle::persistence::test
