// Account history (ledger/history): what is kept, the per-account limit, undo, expiry by
// retention, and pages newest first with before_version and a partner filter.
#define BOOST_TEST_MODULE history_book
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
}

BOOST_AUTO_TEST_CASE(pages_are_newest_first_bounded_by_limit_version_and_partner) {
  history_book b;
  b.add(rec({"a", 1, 10, "acme"}));
  b.add(rec({"a", 2, 11, "beta"}));
  b.add(rec({"a", 3, 12, "acme"}));
  b.add(rec({"b", 1, 12, "acme"}));
  struct row {
    uint32_t limit;
    uint64_t before;
    const char* partner;
    v want;
  };
  const std::vector<row> table{
      {10, 0, "", {3, 2, 1}}, {2, 0, "", {3, 2}},     {10, 3, "", {2, 1}},
      {10, 1, "", {}},        {10, 0, "acme", {3, 1}}, {1, 3, "acme", {1}},
      {10, 0, "gamma", {}},
  };
  for (const auto& r : table)
    BOOST_TEST(versions(b.page("a", r.limit, r.before, r.partner)) == r.want,
               "limit " << r.limit << " before " << r.before << " partner " << r.partner);
  BOOST_TEST(b.page("nobody", 10, 0, "").empty());
  const auto top = b.page("a", 1, 0, "");
  BOOST_TEST(top[0].round == "r");
  BOOST_TEST(top[0].game == "g");
  BOOST_TEST(top[0].balance == 97);
  BOOST_TEST(b.changes() == 4u);
  BOOST_TEST(b.accounts() == 2u);
}

BOOST_AUTO_TEST_CASE(max_per_account_keeps_the_newest_at_and_past_the_limit) {
  history_book b{{.retention_ms = 1000, .max_per_account = 3}};
  for (uint64_t i = 1; i <= 3; ++i)
    b.add(rec({"a", i, 10}));
  BOOST_TEST(versions(b.page("a", 10, 0, "")) == (v{3, 2, 1}));
  for (uint64_t i = 4; i <= 9; ++i)
    b.add(rec({"a", i, 10}));
  BOOST_TEST(versions(b.page("a", 10, 0, "")) == (v{9, 8, 7}));
  BOOST_TEST(b.changes() == 3u);
  history_book none{{.retention_ms = 1000, .max_per_account = 0}};
  none.add(rec({"a", 1, 10}));
  BOOST_TEST(none.changes() == 0u);
}

BOOST_AUTO_TEST_CASE(undo_drops_the_changes_after_the_restored_version) {
  history_book b;
  for (uint64_t i = 1; i <= 5; ++i)
    b.add(rec({"a", i, 10}));
  b.undo_after("a", 3);
  BOOST_TEST(versions(b.page("a", 10, 0, "")) == (v{3, 2, 1}));
  b.add(rec({"a", 4, 11}));  // the version is used again after an undo
  BOOST_TEST(versions(b.page("a", 10, 0, "")) == (v{4, 3, 2, 1}));
  b.undo_after("nobody", 0);
  b.forget("a");
  BOOST_TEST(b.changes() == 0u);
  BOOST_TEST(b.accounts() == 0u);
}

BOOST_AUTO_TEST_CASE(expiry_drops_what_is_older_than_retention) {
  history_book b{{.retention_ms = 100, .max_per_account = 10}};
  b.add(rec({"a", 1, 1000}));
  b.add(rec({"a", 2, 1050}));
  b.add(rec({"b", 1, 1010}));
  BOOST_TEST(b.expire(1100) == 0u);  // 1000 is exactly retention old: kept
  BOOST_TEST(b.expire(1101) == 1u);
  BOOST_TEST(versions(b.page("a", 10, 0, "")) == (v{2}));
  BOOST_TEST(b.expire(1111) == 1u);  // b's only change: the account goes
  BOOST_TEST(b.accounts() == 1u);
  BOOST_TEST(b.expire(10'000) == 1u);
  BOOST_TEST(b.changes() == 0u);
}

BOOST_AUTO_TEST_CASE(replayed_records_skip_what_is_already_kept) {
  history_book b;
  BOOST_TEST(b.add_replayed(rec({"a", 1, 10})));
  BOOST_TEST(b.add_replayed(rec({"a", 2, 10})));
  BOOST_TEST(!b.add_replayed(rec({"a", 2, 10})));  // journaled twice
  BOOST_TEST(!b.add_replayed(rec({"a", 1, 10})));
  BOOST_TEST(!b.add_replayed(rec({"a", 3, 10, "", txn_status::noop})));
  BOOST_TEST(versions(b.page("a", 10, 0, "")) == (v{2, 1}));
}
