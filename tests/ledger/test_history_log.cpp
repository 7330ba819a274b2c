// Account history (ledger/history): what is kept, pages newest first with before_version and
// a partner filter over accounts interleaved in one log, undo by restoring an account's
// head, the log's size limit at and past one block, expiry by retention, and the journal's
// records read back at start.
#define BOOST_TEST_MODULE history_log
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "ledger/history.hpp"

using namespace settle::ledger;
using settle::protocol::txn_kind;
using settle::protocol::txn_status;

namespace {

struct rec_spec {
  const char* account;
  uint64_t version;
  int64_t at;
  const char* partner = "";
  txn_status outcome = txn_status::applied;
  record_type type = record_type::txn;
};

record_view rec(const rec_spec& s) {
  record_view r;
  r.type = s.type;
  r.account = s.account;
  r.currency = "EUR";
  r.kind = txn_kind::bet;
  r.outcome = s.outcome;
  r.txn_id = "t";
  r.partner = s.partner;
  r.round = "r";
  r.game = "g";
  r.amount = -1;
  r.balance_after = 100 - static_cast<int64_t>(s.version);
  r.version_after = s.version;
  r.at_unix_ms = s.at;
  return r;
}

std::vector<uint64_t> versions(const std::vector<history_change>& page) {
  std::vector<uint64_t> out;
  for (const auto& c : page)
    out.push_back(c.version);
  return out;
}

using v = std::vector<uint64_t>;
constexpr int64_t now = 1000;

}  // namespace

BOOST_AUTO_TEST_CASE(applied_txn_records_are_kept_notes_and_account_records_are_not) {
  struct row {
    rec_spec spec;
    bool kept;
  };
  const std::vector<row> table{
      {{"a", 1, 10}, true},
      {{"a", 2, 10, "", txn_status::noop}, false},
      {{"a", 3, 10, "", txn_status::duplicate}, false},
      {{"a", 4, 10, "", txn_status::applied, record_type::status}, false},
      {{"a", 5, 10, "", txn_status::applied, record_type::open}, false},
  };
  for (const auto& r : table)
    BOOST_TEST(kept_in_history(rec(r.spec)) == r.kept, "version " << r.spec.version);
  BOOST_TEST(!history_log{{.retention_ms = 0}}.enabled());
}

BOOST_AUTO_TEST_CASE(pages_are_newest_first_bounded_by_limit_version_and_partner) {
  history_log log;
  uint64_t a = 0, b = 0;
  a = log.add(rec({"a", 1, 10, "acme"}), a);
  b = log.add(rec({"b", 1, 10, "acme"}), b);  // interleaved: each account its own chain
  a = log.add(rec({"a", 2, 11, "beta"}), a);
  a = log.add(rec({"a", 3, 12, "acme"}), a);
  struct row {
    uint32_t limit;
    uint64_t before;
    const char* partner;
    v want;
  };
  const std::vector<row> table{
      {10, 0, "", {3, 2, 1}}, {2, 0, "", {3, 2}},      {10, 3, "", {2, 1}},
      {10, 1, "", {}},        {10, 0, "acme", {3, 1}}, {1, 3, "acme", {1}},
      {10, 0, "gamma", {}},
  };
  for (const auto& r : table)
    BOOST_TEST(versions(log.page(a, r.limit, r.before, r.partner, now)) == r.want,
               "limit " << r.limit << " before " << r.before << " partner " << r.partner);
  BOOST_TEST(versions(log.page(b, 10, 0, "", now)) == (v{1}));
  BOOST_TEST(log.page(0, 10, 0, "", now).empty());
  const auto top = log.page(a, 1, 0, "", now);
  BOOST_TEST(top[0].txn == "t");
  BOOST_TEST(top[0].partner == "acme");
  BOOST_TEST(top[0].round == "r");
  BOOST_TEST(top[0].game == "g");
  BOOST_TEST(top[0].balance == 97);
  BOOST_TEST(top[0].at_unix_ms == 12);
  BOOST_TEST(log.changes() == 4u);
}

BOOST_AUTO_TEST_CASE(undo_is_the_accounts_head_put_back) {
  history_log log;
  uint64_t a = 0;
  for (uint64_t i = 1; i <= 3; ++i)
    a = log.add(rec({"a", i, 10}), a);
  const uint64_t at_3 = a;
  a = log.add(rec({"a", 4, 10}), a);
  a = log.add(rec({"a", 5, 10}), a);
  a = at_3;  // versions 4 and 5 undone: the account is back at 3
  BOOST_TEST(versions(log.page(a, 10, 0, "", now)) == (v{3, 2, 1}));
  a = log.add(rec({"a", 4, 11}), a);  // the version is used again after an undo
  BOOST_TEST(versions(log.page(a, 10, 0, "", now)) == (v{4, 3, 2, 1}));
}

BOOST_AUTO_TEST_CASE(max_bytes_keeps_one_block_and_drops_the_oldest_past_it) {
  // Each change here is 47 + 3 bytes ("t", "r", "g"): 20,971 fill one 1 MiB block.
  const size_t per_block = history_log::block_bytes / 50;
  history_log log{{.retention_ms = 1'000'000, .max_bytes = history_log::block_bytes}};
  uint64_t a = 0;
  for (uint64_t i = 1; i <= per_block; ++i)
    a = log.add(rec({"a", i, 10}), a);
  BOOST_TEST(log.bytes() == history_log::block_bytes);  // at the limit: everything
  BOOST_TEST(log.page(a, 100'000, 0, "", now).size() == per_block);
  a = log.add(rec({"a", per_block + 1, 10}), a);  // past it: a new block, the old one goes
  BOOST_TEST(log.bytes() == history_log::block_bytes);
  BOOST_TEST(versions(log.page(a, 100'000, 0, "", now)) == (v{per_block + 1}));
  BOOST_TEST(log.changes() == 1u);
}

BOOST_AUTO_TEST_CASE(retention_hides_and_then_drops_what_is_older) {
  history_log log{{.retention_ms = 100, .max_bytes = uint64_t{1} << 30}};
  uint64_t a = 0;
  a = log.add(rec({"a", 1, 1000}), a);
  a = log.add(rec({"a", 2, 1050}), a);
  BOOST_TEST(versions(log.page(a, 10, 0, "", 1100)) == (v{2, 1}));  // exactly 100 ms: kept
  BOOST_TEST(versions(log.page(a, 10, 0, "", 1101)) == (v{2}));
  BOOST_TEST(log.page(a, 10, 0, "", 1151).empty());
  BOOST_TEST(log.expire(1151) == 0u);  // the block being written stays
  BOOST_TEST(log.changes() == 2u);
}

BOOST_AUTO_TEST_CASE(records_read_back_at_start_skip_what_is_already_kept) {
  history_log log;
  BOOST_TEST(log.add_replayed(rec({"a", 1, 10})));
  BOOST_TEST(log.add_replayed(rec({"b", 1, 10})));
  BOOST_TEST(log.add_replayed(rec({"a", 2, 10})));
  BOOST_TEST(!log.add_replayed(rec({"a", 2, 10})));  // journaled twice
  BOOST_TEST(!log.add_replayed(rec({"a", 1, 10})));
  BOOST_TEST(!log.add_replayed(rec({"a", 3, 10, "", txn_status::noop})));
  BOOST_TEST(versions(log.page(log.head_of("a"), 10, 0, "", now)) == (v{2, 1}));
  BOOST_TEST(versions(log.page(log.head_of("b"), 10, 0, "", now)) == (v{1}));
  BOOST_TEST(log.head_of("nobody") == 0u);
  log.forget_names();
  BOOST_TEST(log.head_of("a") == 0u);
}
