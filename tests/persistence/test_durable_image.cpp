// The durable image: folding journal records gives the ledger's state, replays are harmless,
// and inconsistent journals are refused with the account named.
#define BOOST_TEST_MODULE durable_image
#include <boost/test/unit_test.hpp>

#include "tests/persistence/journal_model.hpp"

using namespace settle::persistence;
using namespace settle::persistence::test;
using settle::ledger::hash_id;
using settle::ledger::id_key;
using settle::ledger::id_state;
using settle::ledger::pack_currency;

namespace {

constexpr uint32_t shards = 4;
const auto EUR = pack_currency("EUR");

const settle::ledger::account_state& account(const durable_image& img, const std::string& id) {
  return img.accounts[shard_of(id, img.shards)].at(id);
}

const settle::ledger::clearing_account& clearing(const durable_image& img,
                                                 const std::string& partner,
                                                 settle::ledger::currency_code c = EUR) {
  return img.clearing.at({partner, c});
}

/// Folds `r` and expects a runtime_error whose message contains every one of `parts`.
void expect_refused(durable_image& img, const journal_record& r,
                    std::initializer_list<std::string> parts) {
  try {
    fold(img, shard_of(r.account, img.shards), r);
    BOOST_ERROR("fold accepted an inconsistent record");
  } catch (const std::runtime_error& e) {
    for (const auto& p : parts)
      BOOST_CHECK_MESSAGE(std::string{e.what()}.find(p) != std::string::npos,
                          "'" << e.what() << "' does not mention '" << p << "'");
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(opens_deposits_bets_and_wins) {
  record_writer w;
  w.open("alice");
  w.open("bob", "USD");
  w.player("alice", txn_kind::deposit, "d1", 1000);
  w.player("alice", txn_kind::bet, "b1", -100);
  w.player("alice", txn_kind::win, "w1", 250);
  w.player("bob", txn_kind::deposit, "d2", 70);
  w.player("bob", txn_kind::withdraw, "x1", -20);
  durable_image img{shards};
  fold_all(img, w.records);

  BOOST_CHECK_EQUAL(account(img, "alice").balance, 1150);
  BOOST_CHECK_EQUAL(account(img, "alice").version, 3u);
  BOOST_CHECK_EQUAL(account(img, "alice").currency, EUR);
  BOOST_CHECK(account(img, "alice").kind == settle::protocol::account_kind::player);
  BOOST_CHECK_EQUAL(account(img, "bob").balance, 50);
  BOOST_CHECK_EQUAL(account(img, "bob").currency, pack_currency("USD"));

  const auto& bet = img.ids.at(hash_id("acme", "b1"));
  BOOST_CHECK(bet.state == id_state::done);
  BOOST_CHECK(bet.kind == txn_kind::bet);
  BOOST_CHECK(bet.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(bet.account, "alice");
  BOOST_CHECK_EQUAL(bet.amount, 100);
  BOOST_CHECK_EQUAL(bet.currency, EUR);
  BOOST_CHECK_EQUAL(bet.balance, 900);
  BOOST_CHECK_EQUAL(bet.version, 2u);
  BOOST_CHECK_EQUAL(bet.fingerprint, settle::ledger::stable_hash("b1"));
  BOOST_CHECK_EQUAL(bet.created_at_s, w.records[3].at_unix_ms / 1000);
  BOOST_CHECK(img.ids.contains(hash_id("", "d1")));  // payments live in the shared namespace
  BOOST_CHECK(img.ids.contains(hash_id("acme", "w1")));
  BOOST_CHECK_EQUAL(img.ids.size(), 5u);

  const auto& acme = clearing(img, "acme");
  BOOST_CHECK_EQUAL(acme.balance, -150);  // GGR: 100 bet - 250 won
  BOOST_CHECK_EQUAL(acme.bets, 100);
  BOOST_CHECK_EQUAL(acme.wins, 250);
  BOOST_CHECK_EQUAL(acme.bet_count, 1u);
  BOOST_CHECK_EQUAL(acme.win_count, 1u);
  BOOST_CHECK_EQUAL(acme.version, 2u);
  BOOST_CHECK_EQUAL(clearing(img, "").balance, -1000);
  BOOST_CHECK_EQUAL(clearing(img, "", pack_currency("USD")).balance, -50);
  BOOST_CHECK_EQUAL(clearing(img, "", pack_currency("USD")).version, 2u);
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
}

BOOST_AUTO_TEST_CASE(rollbacks_mark_bets_and_noops_leave_tombstones) {
  record_writer w;
  w.open("alice");
  w.player("alice", txn_kind::deposit, "d1", 500);
  w.player("alice", txn_kind::bet, "b1", -100);
  w.player("alice", txn_kind::rollback, "r1", 100, "acme", "b1");
  w.note("alice", txn_kind::rollback, txn_status::noop, "r2", "b-unseen");
  w.note("alice", txn_kind::rollback, txn_status::duplicate, "r3", "b1");
  durable_image img{shards};
  fold_all(img, w.records);

  BOOST_CHECK(img.ids.at(hash_id("acme", "b1")).rolled_back);
  const auto& rb = img.ids.at(hash_id("acme", "r1"));
  BOOST_CHECK(rb.kind == txn_kind::rollback && rb.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(account(img, "alice").balance, 500);
  BOOST_CHECK_EQUAL(clearing(img, "acme").rollbacks, 100);
  BOOST_CHECK_EQUAL(clearing(img, "acme").rollback_count, 1u);
  BOOST_CHECK_EQUAL(clearing(img, "acme").balance, 0);

  const auto& noop = img.ids.at(hash_id("acme", "r2"));
  BOOST_CHECK(noop.outcome == txn_status::noop);
  BOOST_CHECK(noop.kind == txn_kind::rollback);
  BOOST_CHECK_EQUAL(noop.version, 3u);
  BOOST_CHECK_EQUAL(noop.balance, 500);
  const auto& tomb = img.ids.at(hash_id("acme", "b-unseen"));
  BOOST_CHECK(tomb.state == id_state::tombstone);
  BOOST_CHECK(tomb.kind == txn_kind::bet);
  BOOST_CHECK_EQUAL(tomb.account, "alice");
  BOOST_CHECK_EQUAL(tomb.currency, EUR);
  BOOST_CHECK(img.ids.at(hash_id("acme", "r3")).outcome == txn_status::duplicate);
  BOOST_CHECK_EQUAL(account(img, "alice").version, 3u);  // notes change no version

  // A note for an id already remembered leaves it alone.
  w.note("alice", txn_kind::bet, txn_status::duplicate, "b1");
  fold_all(img, {w.records.back()});
  BOOST_CHECK(img.ids.at(hash_id("acme", "b1")).outcome == txn_status::applied);
  BOOST_CHECK(img.ids.at(hash_id("acme", "b1")).rolled_back);
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
}

BOOST_AUTO_TEST_CASE(transfers_open_clear_and_refund) {
  record_writer w;
  w.open("alice");
  w.open("bob");
  w.player("alice", txn_kind::deposit, "d1", 1000);
  w.transfer("alice", leg_role::transfer_debit, "bob", "t1", -100);
  durable_image img{shards};
  fold_all(img, w.records);

  // Debit alone: the transfer stays open, its id is remembered, the money is in flight.
  const auto& t = img.transfers.at(id_key("", "t1"));
  BOOST_CHECK(t.debit_seen && !t.credit_seen);
  BOOST_CHECK_EQUAL(t.source, "alice");
  BOOST_CHECK_EQUAL(t.target, "bob");
  BOOST_CHECK_EQUAL(t.amount, 100);
  BOOST_CHECK_EQUAL(t.currency, "EUR");
  BOOST_CHECK_EQUAL(t.txn_id, "t1");
  BOOST_CHECK(img.ids.at(hash_id("", "t1")).kind == txn_kind::transfer);
  BOOST_CHECK_EQUAL(img.ids.at(hash_id("", "t1")).balance, 900);
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");

  // The credit completes it; transfers touch no clearing account.
  w.transfer("bob", leg_role::transfer_credit, "alice", "t1", 100);
  fold_all(img, {w.records.back()});
  BOOST_CHECK(img.transfers.empty());
  BOOST_CHECK_EQUAL(account(img, "bob").balance, 100);
  BOOST_CHECK_EQUAL(img.clearing.size(), 1u);  // the house, for the deposit
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");

  // Refused after the debit: the refund gives the money back and forgets the id.
  w.transfer("alice", leg_role::transfer_debit, "bob", "t2", -300);
  w.transfer("alice", leg_role::transfer_refund, "bob", "t2", 300);
  fold_all(img, {w.records.end() - 2, w.records.end()});
  BOOST_CHECK(img.transfers.empty());
  BOOST_CHECK(!img.ids.contains(hash_id("", "t2")));
  BOOST_CHECK_EQUAL(account(img, "alice").balance, 900);
  BOOST_CHECK_EQUAL(account(img, "alice").version, 4u);

  // Folded shard by shard, a credit may come before its debit: same end state.
  w.transfer("alice", leg_role::transfer_debit, "bob", "t3", -50);
  w.transfer("bob", leg_role::transfer_credit, "alice", "t3", 50);
  fold_all(img, {w.records.back()});
  BOOST_CHECK(img.transfers.at(id_key("", "t3")).credit_seen);
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
  fold_all(img, {w.records[w.records.size() - 2]});
  BOOST_CHECK(img.transfers.empty());
  BOOST_CHECK(img.ids.contains(hash_id("", "t3")));
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
}

BOOST_AUTO_TEST_CASE(status_changes_follow_versions) {
  record_writer w;
  w.open("alice");
  w.status("alice", account_status::blocked);
  durable_image img{shards};
  fold_all(img, w.records);
  BOOST_CHECK(account(img, "alice").status == account_status::blocked);
  BOOST_CHECK_EQUAL(account(img, "alice").version, 1u);

  w.player("alice", txn_kind::win, "w1", 10);
  w.status("alice", account_status::active);
  fold_all(img, {w.records.end() - 2, w.records.end()});
  BOOST_CHECK(account(img, "alice").status == account_status::active);
  BOOST_CHECK_EQUAL(account(img, "alice").version, 3u);

  // An old status record replayed is skipped; one from the future is a gap.
  fold_all(img, {w.records[1]});
  BOOST_CHECK(account(img, "alice").status == account_status::active);
  auto future = w.records[1];
  future.version_after = 5;
  expect_refused(img, future, {"alice", "version 5"});
}

BOOST_AUTO_TEST_CASE(replaying_records_changes_nothing) {
  record_writer w;
  w.open("alice");
  w.open("bob");
  w.player("alice", txn_kind::deposit, "d1", 1000);
  w.player("alice", txn_kind::bet, "b1", -100);
  w.player("alice", txn_kind::rollback, "r1", 100, "acme", "b1");
  w.note("alice", txn_kind::rollback, txn_status::noop, "r2", "b2");
  w.status("bob", account_status::blocked);
  w.transfer("alice", leg_role::transfer_debit, "bob", "t1", -10);
  w.transfer("bob", leg_role::transfer_credit, "alice", "t1", 10);
  w.transfer("alice", leg_role::transfer_debit, "bob", "t2", -20);
  w.transfer("alice", leg_role::transfer_refund, "bob", "t2", 20);
  w.transfer("alice", leg_role::transfer_debit, "bob", "t3", -30);

  durable_image once{shards};
  fold_all(once, w.records);

  // Each record twice in a row.
  durable_image twice{shards};
  for (const auto& r : w.records) {
    fold_all(twice, {r});
    fold_all(twice, {r});
  }
  BOOST_CHECK_EQUAL(image_difference(once, twice), "");

  // The whole journal again on top of its own result (a snapshot plus an untrimmed journal).
  durable_image again = once;
  fold_all(again, w.records);
  BOOST_CHECK_EQUAL(image_difference(once, again), "");
  BOOST_CHECK_EQUAL(check_zero_sum(again), "");
}

BOOST_AUTO_TEST_CASE(inconsistencies_are_refused_with_the_account_named) {
  record_writer w;
  w.open("alice");
  w.player("alice", txn_kind::deposit, "d1", 1000);
  durable_image img{shards};
  fold_all(img, w.records);
  auto before = img;

  auto gap = w.player("alice", txn_kind::bet, "b1", -100);
  gap.version_after = 3;
  expect_refused(img, gap, {"alice", "version gap", "version 3"});

  auto wrong_balance = w.records.back();
  wrong_balance.balance_after = 901;
  expect_refused(img, wrong_balance, {"alice", "balance_after", "version 2", "901"});

  auto unknown = w.records.back();
  unknown.account = "nobody";
  expect_refused(img, unknown, {"nobody", "unknown account"});

  auto reopen = w.records.front();
  reopen.currency = "USD";
  expect_refused(img, reopen, {"alice", "USD", "EUR"});
  fold_all(img, {w.records.front()});  // the same open again is a replay: harmless

  auto wrong_sign = w.records.back();
  wrong_sign.amount = 100;
  wrong_sign.balance_after = 1100;
  expect_refused(img, wrong_sign, {"alice", "sign"});

  auto misplaced = w.records.back();
  uint32_t home = shard_of("alice", shards);
  try {
    fold(img, (home + 1) % shards, misplaced);
    BOOST_ERROR("a record in another shard's stream was accepted");
  } catch (const std::runtime_error& e) {
    BOOST_CHECK(std::string{e.what()}.find("alice") != std::string::npos);
    BOOST_CHECK(std::string{e.what()}.find("shard " + std::to_string(home)) !=
                std::string::npos);
  }

  auto future_note = w.note("alice", txn_kind::rollback, txn_status::noop, "r9", "b9");
  future_note.version_after = 7;
  expect_refused(img, future_note, {"alice", "version 7"});

  // Refused records leave the image as it was.
  BOOST_CHECK_EQUAL(image_difference(before, img), "");
}

BOOST_AUTO_TEST_CASE(zero_sum_holds_after_a_mixed_workload) {
  record_writer w;
  int open_transfers = mixed_workload(w, 7, 30, 3000, "a");
  durable_image img{shards};
  fold_all(img, w.records);
  BOOST_CHECK_EQUAL(check_zero_sum(img), "");
  BOOST_CHECK_EQUAL(img.transfers.size(), static_cast<size_t>(open_transfers));
  for (const auto& [id, acc] : w.accounts) {
    BOOST_CHECK_EQUAL(account(img, id).balance, acc.balance);
    BOOST_CHECK_EQUAL(account(img, id).version, acc.version);
  }
  for (const auto& [key, c] : img.clearing)
    if (!key.first.empty())
      BOOST_CHECK_EQUAL(c.balance, c.ggr());

  // Money from nowhere is found and named.
  img.accounts[shard_of("p0", shards)].at("p0").balance += 5;
  auto problem = check_zero_sum(img);
  BOOST_CHECK_MESSAGE(problem.find("EUR") != std::string::npos &&
                          problem.find("sums to 5") != std::string::npos,
                      problem);
}

BOOST_AUTO_TEST_CASE(expire_ids_drops_old_entries) {
  record_writer w;
  w.open("alice");
  w.player("alice", txn_kind::deposit, "old", 10);  // at t0
  w.now_ms += 100'000;
  w.player("alice", txn_kind::deposit, "new", 10);  // at t0 + 102 s
  w.note("alice", txn_kind::rollback, txn_status::noop, "r1", "b1");
  durable_image img{shards};
  fold_all(img, w.records);
  BOOST_CHECK_EQUAL(img.ids.size(), 4u);

  int64_t old_s = w.records[1].at_unix_ms / 1000;
  int64_t new_s = w.records[2].at_unix_ms / 1000;
  expire_ids(img, old_s + 60, 60);  // exactly at the limit: kept
  BOOST_CHECK_EQUAL(img.ids.size(), 4u);
  expire_ids(img, old_s + 61, 60);
  BOOST_CHECK(!img.ids.contains(hash_id("", "old")));
  BOOST_CHECK(img.ids.contains(hash_id("", "new")));
  BOOST_CHECK_EQUAL(img.ids.size(), 3u);
  expire_ids(img, new_s + 1000, 60);
  BOOST_CHECK(img.ids.empty());
  BOOST_CHECK_EQUAL(account(img, "alice").balance, 20);  // accounts are not ids
}
