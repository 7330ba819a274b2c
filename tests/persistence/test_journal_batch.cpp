// Journal batches: round trip, and every kind of damage is found with its shard and position.
#define BOOST_TEST_MODULE journal_batch
#include <boost/test/unit_test.hpp>

#include <msgpack.hpp>

#include "persistence/journal_batch.hpp"

using namespace settle::persistence;
using settle::protocol::txn_kind;
using settle::protocol::txn_status;

namespace {

journal_record record(int i) {
  journal_record r;
  r.txn_id = "tx-" + std::to_string(i);
  r.id_namespace = "acme";
  r.kind = i % 2 ? txn_kind::win : txn_kind::bet;
  r.outcome = txn_status::applied;
  r.account = "alice";
  r.partner = "acme";
  r.type = i % 3 == 2 ? record_type::status : record_type::txn;
  r.status = i % 2 ? settle::protocol::account_status::blocked
                   : settle::protocol::account_status::active;
  r.role = i % 4 == 1 ? leg_role::transfer_refund : leg_role::player;
  r.to = i % 4 == 1 ? "bob" : "";
  r.currency = "EUR";
  r.amount = 100 + i;
  r.balance_after = -5 + i;  // negative values must survive too
  r.version_after = static_cast<uint64_t>(i + 1);
  r.fingerprint = 0xfedcba9876543210ull + static_cast<uint64_t>(i);
  r.ref = i % 3 ? "" : "bet-" + std::to_string(i);
  r.at_unix_ms = 1'790'000'000'000 + i;
  r.round = i % 2 ? "round-" + std::to_string(i) : "";
  r.game = "game-" + std::to_string(i);
  return r;
}

/// A chain of `n` batches for `shard`, each with three records.
std::vector<std::string> chain(uint32_t shard, int n) {
  std::vector<std::string> out;
  uint64_t prev = 0;
  for (int b = 0; b < n; ++b) {
    journal_batch batch;
    batch.shard = shard;
    batch.seq = static_cast<uint64_t>(b);
    batch.prev_hash = prev;
    for (int i = 0; i < 3; ++i)
      batch.records.push_back(record(b * 3 + i));
    out.push_back(encode_batch(batch, prev));
  }
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(round_trip_keeps_every_field) {
  auto stored = chain(2, 1);
  journal_batch b = decode_batch(stored[0]).batch;
  BOOST_CHECK_EQUAL(b.shard, 2u);
  BOOST_REQUIRE_EQUAL(b.records.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto want = record(i);
    const auto& got = b.records[static_cast<size_t>(i)];
    BOOST_CHECK_EQUAL(got.txn_id, want.txn_id);
    BOOST_CHECK_EQUAL(got.id_namespace, want.id_namespace);
    BOOST_CHECK(got.kind == want.kind);
    BOOST_CHECK(got.outcome == want.outcome);
    BOOST_CHECK_EQUAL(got.account, want.account);
    BOOST_CHECK_EQUAL(got.partner, want.partner);
    BOOST_CHECK(got.type == want.type);
    BOOST_CHECK(got.status == want.status);
    BOOST_CHECK(got.role == want.role);
    BOOST_CHECK_EQUAL(got.to, want.to);
    BOOST_CHECK_EQUAL(got.currency, want.currency);
    BOOST_CHECK_EQUAL(got.amount, want.amount);
    BOOST_CHECK_EQUAL(got.balance_after, want.balance_after);
    BOOST_CHECK_EQUAL(got.version_after, want.version_after);
    BOOST_CHECK_EQUAL(got.fingerprint, want.fingerprint);
    BOOST_CHECK_EQUAL(got.ref, want.ref);
    BOOST_CHECK_EQUAL(got.at_unix_ms, want.at_unix_ms);
    BOOST_CHECK_EQUAL(got.round, want.round);
    BOOST_CHECK_EQUAL(got.game, want.game);
  }
}

BOOST_AUTO_TEST_CASE(records_written_before_round_and_game_were_journaled_still_decode) {
  // A batch of the 17-field records journals held before round and game: a data directory
  // from before still recovers, its records with an empty round and game.
  std::string out;
  begin_batch(out, 0, 0, 0, 1);
  msgpack::sbuffer rec;
  msgpack::packer<msgpack::sbuffer> pk{rec};
  pk.pack_array(17);
  pk.pack(uint8_t{2});  // txn
  pk.pack(std::string{"alice"});
  pk.pack(std::string{"EUR"});
  pk.pack(int64_t{1'790'000'000'000});
  pk.pack(uint8_t{0});
  pk.pack(uint8_t{0});
  pk.pack(uint8_t{0});  // bet
  pk.pack(uint8_t{0});  // applied
  pk.pack(std::string{"tx-1"});
  pk.pack(std::string{"acme"});
  pk.pack(std::string{"acme"});
  pk.pack(std::string{""});
  pk.pack(std::string{""});
  pk.pack(uint64_t{42});
  pk.pack(int64_t{-10});
  pk.pack(int64_t{90});
  pk.pack(uint64_t{2});
  out.append(rec.data(), rec.size());
  end_batch(out);
  auto b = decode_batch(out).batch;
  BOOST_REQUIRE_EQUAL(b.records.size(), 1u);
  BOOST_CHECK_EQUAL(b.records[0].txn_id, "tx-1");
  BOOST_CHECK_EQUAL(b.records[0].version_after, 2u);
  BOOST_CHECK(b.records[0].round.empty());
  BOOST_CHECK(b.records[0].game.empty());
}

BOOST_AUTO_TEST_CASE(good_chain_verifies) {
  auto stored = chain(1, 10);
  std::vector<journal_batch> out;
  auto report = verify_chain(1, stored, out);
  BOOST_CHECK_MESSAGE(report.ok, report.problem);
  BOOST_CHECK_EQUAL(report.good_batches, 10u);
  BOOST_CHECK_EQUAL(out.size(), 10u);
}

BOOST_AUTO_TEST_CASE(every_flipped_byte_is_found_at_its_batch) {
  auto stored = chain(3, 6);
  // Flip each byte of batch 4 in turn: never accepted, always reported at batch 4.
  for (size_t pos = 0; pos < stored[4].size(); ++pos) {
    auto damaged = stored;
    damaged[4][pos] = static_cast<char>(damaged[4][pos] ^ 0x01);
    std::vector<journal_batch> out;
    auto report = verify_chain(3, damaged, out);
    BOOST_REQUIRE(!report.ok);
    BOOST_CHECK_EQUAL(report.good_batches, 4u);
    BOOST_CHECK_EQUAL(out.size(), 4u);  // stopping at the last good batch keeps these
    BOOST_CHECK(report.problem.find("journal shard 3, batch 4") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(missing_reordered_truncated_and_foreign_batches) {
  auto stored = chain(0, 5);
  std::vector<journal_batch> out;

  auto missing = stored;
  missing.erase(missing.begin() + 2);
  auto r1 = verify_chain(0, missing, out);
  BOOST_CHECK(!r1.ok);
  BOOST_CHECK_EQUAL(r1.good_batches, 2u);
  BOOST_CHECK(r1.problem.find("missing or out of order") != std::string::npos);

  auto swapped = stored;
  std::swap(swapped[1], swapped[3]);
  BOOST_CHECK_EQUAL(verify_chain(0, swapped, out).good_batches, 1u);

  auto truncated = stored;
  truncated[4].resize(truncated[4].size() / 2);
  auto r3 = verify_chain(0, truncated, out);
  BOOST_CHECK(!r3.ok);
  BOOST_CHECK_EQUAL(r3.good_batches, 4u);

  auto r4 = verify_chain(7, stored, out);  // another shard's journal
  BOOST_CHECK(!r4.ok);
  BOOST_CHECK(r4.problem.find("belongs to shard 0") != std::string::npos);

  // A batch re-encoded with a forged checksum still breaks the chain link of the next one.
  journal_batch forged = decode_batch(stored[2]).batch;
  uint64_t h = 0;
  forged.records[0].amount += 1;
  auto relinked = stored;
  relinked[2] = encode_batch(forged, h);
  auto r5 = verify_chain(0, relinked, out);
  BOOST_CHECK_EQUAL(r5.good_batches, 3u);
  BOOST_CHECK(r5.problem.find("chain is broken") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(verification_can_start_after_a_snapshot) {
  auto stored = chain(5, 8);
  std::vector<journal_batch> all;
  auto full = verify_chain(5, stored, all);
  BOOST_REQUIRE(full.ok);
  // A snapshot covering batches 0..2 records batch 2's hash; the journal after it verifies.
  std::vector<journal_batch> head;
  auto first3 = verify_chain(5, {stored.begin(), stored.begin() + 3}, head);
  std::vector<journal_batch> tail;
  auto rest = verify_chain(5, {stored.begin() + 3, stored.end()}, tail, first3.last_hash, 3);
  BOOST_CHECK_MESSAGE(rest.ok, rest.problem);
  BOOST_CHECK_EQUAL(rest.good_batches, 5u);
  BOOST_CHECK_EQUAL(rest.last_hash, full.last_hash);
}
