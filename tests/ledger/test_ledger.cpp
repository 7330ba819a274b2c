// Pure ledger rules: account legs, id store retention, clearing totals, reserved ids.
#define BOOST_TEST_MODULE ledger
#include <boost/test/unit_test.hpp>

#include <limits>

#include "ledger/account_rules.hpp"
#include "ledger/clearing.hpp"
#include "ledger/id_store.hpp"
#include "ledger/stable_hash.hpp"

using namespace settle::ledger;
using settle::protocol::error_code;

namespace {

leg make_leg(txn_kind kind, int64_t amount, const char* cur = "EUR") {
  leg l;
  l.kind = kind;
  l.side = player_side(kind);
  l.amount = amount;
  l.currency = pack_currency(cur);
  return l;
}

account_state player(int64_t balance) {
  account_state a;
  a.balance = balance;
  a.currency = pack_currency("EUR");
  return a;
}

}  // namespace

BOOST_AUTO_TEST_CASE(currency_packing) {
  BOOST_CHECK_EQUAL(currency_text(pack_currency("EUR")), "EUR");
  BOOST_CHECK_EQUAL(pack_currency("eur"), 0u);
  BOOST_CHECK_EQUAL(pack_currency("EURO"), 0u);
  BOOST_CHECK_NE(pack_currency("EUR"), pack_currency("USD"));
}

BOOST_AUTO_TEST_CASE(player_floor_is_zero) {
  std::string why;
  auto a = player(100);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::bet, 100), why) == error_code::none);
  BOOST_CHECK_EQUAL(a.balance, 0);
  BOOST_CHECK_EQUAL(a.version, 1u);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::bet, 1), why) == error_code::insufficient_funds);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::withdraw, 1), why) ==
              error_code::insufficient_funds);
  BOOST_CHECK_EQUAL(a.balance, 0);
  BOOST_CHECK_EQUAL(a.version, 1u);
}

BOOST_AUTO_TEST_CASE(house_and_partner_may_go_negative) {
  std::string why;
  auto house = player(0);
  house.kind = account_kind::house;
  leg debit = make_leg(txn_kind::bet, 500);
  BOOST_CHECK(apply_leg(house, debit, why) == error_code::none);
  BOOST_CHECK_EQUAL(house.balance, -500);
}

BOOST_AUTO_TEST_CASE(blocked_accounts_refuse_only_some_kinds) {
  std::string why;
  auto a = player(1000);
  a.status = account_status::blocked;
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::bet, 1), why) == error_code::account_blocked);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::deposit, 1), why) == error_code::account_blocked);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::transfer, 1), why) == error_code::account_blocked);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::win, 1), why) == error_code::none);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::rollback, 1), why) == error_code::none);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::withdraw, 1), why) == error_code::none);
}

BOOST_AUTO_TEST_CASE(currency_and_overflow) {
  std::string why;
  auto a = player(0);
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::deposit, 1, "USD"), why) ==
              error_code::currency_mismatch);
  a.balance = std::numeric_limits<int64_t>::max() - 1;
  BOOST_CHECK(apply_leg(a, make_leg(txn_kind::deposit, 2), why) == error_code::invalid_amount);
  BOOST_CHECK_EQUAL(a.balance, std::numeric_limits<int64_t>::max() - 1);
}

BOOST_AUTO_TEST_CASE(id_store_retention) {
  id_store s;
  auto found = [&](std::string_view ns, std::string_view id) {
    auto key = hash_id(ns, id);
    return s.with(key, [&](id_store::map& m) { return m.contains(key); });
  };
  id_entry e;
  e.state = id_state::done;
  e.created_at_s = 100;
  s.put(hash_id("acme", "t1"), e);
  e.created_at_s = 200;
  s.put(hash_id("acme", "t2"), e);
  e.state = id_state::pending;
  e.created_at_s = 0;
  s.put(hash_id("", "t1"), e);
  BOOST_CHECK_EQUAL(s.size(), 3u);
  BOOST_CHECK(found("acme", "t1"));
  BOOST_CHECK(!found("beta", "t1"));
  BOOST_CHECK_EQUAL(s.expire(250, 100), 1u);  // t1 (age 150) goes; pending never expires
  BOOST_CHECK(!found("acme", "t1"));
  BOOST_CHECK(found("acme", "t2"));
  BOOST_CHECK(found("", "t1"));
}

BOOST_AUTO_TEST_CASE(id_hashes_follow_the_id_key) {
  // The engine hashes (namespace, id) without building the key; recovery hashes the key.
  BOOST_CHECK(hash_id("acme", "t1") == hash_id_key(id_key("acme", "t1")));
  BOOST_CHECK(hash_id("", "t1") == hash_id_key(id_key("", "t1")));
  BOOST_CHECK(!(hash_id("acme", "t1") == hash_id("acm", "et1")));  // the separator counts
  BOOST_CHECK(!(hash_id("acme", "t1") == hash_id("acme", "t2")));
  std::string long_id(64, 'x'), long_ns(64, 'p');
  BOOST_CHECK(hash_id(long_ns, long_id) == hash_id_key(id_key(long_ns, long_id)));
}

BOOST_AUTO_TEST_CASE(id_store_stripes_are_independent) {
  // Many ids spread over every stripe; each is found again, and sweeping stripe by stripe
  // (as the shards do, each its share) drops exactly the old ones.
  id_store s{8};
  BOOST_CHECK_EQUAL(s.stripes(), 8u);
  for (int i = 0; i < 10000; ++i) {
    id_entry e;
    e.state = id_state::done;
    e.created_at_s = i % 2 == 0 ? 0 : 1000;
    s.put(hash_id("p", std::to_string(i)), e);
  }
  BOOST_CHECK_EQUAL(s.size(), 10000u);
  size_t dropped = 0;
  for (size_t shard = 0; shard < 3; ++shard)
    dropped += s.expire(1000, 500, shard, 3);
  BOOST_CHECK_EQUAL(dropped, 5000u);
  BOOST_CHECK_EQUAL(s.size(), 5000u);
}

BOOST_AUTO_TEST_CASE(fingerprint_sees_every_field) {
  settle::protocol::request a;
  a.op = settle::protocol::op_kind::txn;
  a.kind = txn_kind::bet;
  a.id = "t1";
  a.account = "alice";
  a.amount = 10;
  a.currency = "EUR";
  a.partner = "acme";
  auto base = fingerprint(a);
  BOOST_CHECK_EQUAL(base, fingerprint(a));
  auto b = a;
  b.amount = 11;
  BOOST_CHECK_NE(base, fingerprint(b));
  b = a;
  b.round = "r";
  BOOST_CHECK_NE(base, fingerprint(b));
  b = a;
  b.account = "alicf";
  BOOST_CHECK_NE(base, fingerprint(b));
  b = a;
  b.rid = 99;  // the request id is not part of the transaction
  BOOST_CHECK_EQUAL(base, fingerprint(b));
  // Stable across processes: a fixed input has a fixed hash.
  BOOST_CHECK_EQUAL(stable_hash("abc"), stable_hash("abc"));
  BOOST_CHECK_NE(stable_hash("ab"), stable_hash("ba"));
}

BOOST_AUTO_TEST_CASE(clearing_totals_and_ggr) {
  clearing_delta d;
  d.partner = "acme";
  d.currency = pack_currency("EUR");
  record_leg(d, txn_kind::bet, 100);
  record_leg(d, txn_kind::bet, 50);
  record_leg(d, txn_kind::win, 70);
  record_leg(d, txn_kind::rollback, 50);
  clearing_account acc;
  acc.apply(d);
  BOOST_CHECK_EQUAL(acc.balance, 30);
  BOOST_CHECK_EQUAL(acc.ggr(), 30);
  BOOST_CHECK_EQUAL(acc.version, 4u);
  auto t = acc.totals(d.currency);
  BOOST_CHECK_EQUAL(t.bets, 150);
  BOOST_CHECK_EQUAL(t.bet_count, 2u);
  BOOST_CHECK_EQUAL(t.wins, 70);
  BOOST_CHECK_EQUAL(t.rollbacks, 50);
  BOOST_CHECK_EQUAL(t.currency, "EUR");
}

BOOST_AUTO_TEST_CASE(reserved_ids) {
  clearing_owner owner;
  currency_code cur = 0;
  bool valid = false;
  BOOST_CHECK(parse_reserved_account("house:EUR", owner, cur, valid));
  BOOST_CHECK(valid);
  BOOST_CHECK(owner.is_house());
  BOOST_CHECK(parse_reserved_account("partner:acme:USD", owner, cur, valid));
  BOOST_CHECK(valid);
  BOOST_CHECK_EQUAL(owner.partner, "acme");
  BOOST_CHECK_EQUAL(currency_text(cur), "USD");
  BOOST_CHECK(parse_reserved_account("partner:acme", owner, cur, valid));
  BOOST_CHECK(!valid);
  BOOST_CHECK(parse_reserved_account("house:eur", owner, cur, valid));
  BOOST_CHECK(!valid);
  BOOST_CHECK(!parse_reserved_account("alice", owner, cur, valid));
  BOOST_CHECK(is_reserved_account("partner:x:EUR"));
  BOOST_CHECK(!is_reserved_account("housemate"));
}
