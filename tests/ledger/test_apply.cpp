// The specification of apply(): what each journal record does to the state, one row per kind
// of record and per way a record can fail to fit. The live ledger shard and the journal fold
// both carry out exactly these changes.
#define BOOST_TEST_MODULE apply
#include <boost/test/unit_test.hpp>

#include <optional>

#include "ledger/apply.hpp"

using namespace settle::ledger;

namespace {

account_state player(int64_t balance, uint64_t version, const char* currency = "EUR") {
  account_state a;
  a.balance = balance;
  a.version = version;
  a.currency = pack_currency(currency);
  return a;
}

/// A record on alice (EUR) after `version_before`, changing the balance by `amount`.
record_view txn(txn_kind kind, int64_t amount, int64_t balance_after, uint64_t version_after,
                leg_role role = leg_role::player) {
  record_view r;
  r.type = record_type::txn;
  r.account = "alice";
  r.currency = "EUR";
  r.at_unix_ms = 1'790'000'000'999;
  r.role = role;
  r.kind = kind;
  r.txn_id = "t1";
  const bool partnered = kind == txn_kind::bet || kind == txn_kind::win ||
                         kind == txn_kind::rollback;
  r.id_namespace = partnered ? "acme" : "";
  r.partner = partnered ? "acme" : "";
  r.ref = kind == txn_kind::rollback ? "b1" : "";
  r.to = kind == txn_kind::transfer ? "bob" : "";
  r.fingerprint = 77;
  r.amount = amount;
  r.balance_after = balance_after;
  r.version_after = version_after;
  return r;
}
record_view note(txn_status outcome, uint64_t version_after, int64_t amount = 0) {
  auto r = txn(txn_kind::rollback, amount, 100, version_after);
  r.outcome = outcome;
  return r;
}
record_view status(account_status s, uint64_t version_after) {
  record_view r;
  r.type = record_type::status;
  r.account = "alice";
  r.currency = "EUR";
  r.status = s;
  r.version_after = version_after;
  r.balance_after = 100;
  return r;
}
record_view open(const char* currency) {
  record_view r;
  r.type = record_type::open;
  r.account = "alice";
  r.currency = currency;
  return r;
}
record_view in(record_view r, const char* currency) {
  r.currency = currency;
  return r;
}

struct row {
  const char* rule;
  record_view record{};
  std::optional<account_state> before{};  // none: no such account
  const char* problem = nullptr;        // the record does not fit: the message says this
  bool stale = false;
  int64_t balance = 0;
  uint64_t version = 0;
  own_id_effect own = own_id_effect::none;
  ref_id_effect ref = ref_id_effect::none;
  bool clearing = false;
  const char* clearing_owner = "";
  transfer_half half = transfer_half::none;
  bool marks_partner = false;
};

const row rows[] = {
    // -- applied player legs --
    {.rule = "a bet", .record = txn(txn_kind::bet, -30, 70, 5), .before = player(100, 4),
     .balance = 70, .version = 5, .own = own_id_effect::remember, .clearing = true,
     .clearing_owner = "acme", .marks_partner = true},
    {.rule = "a win", .record = txn(txn_kind::win, 30, 130, 5), .before = player(100, 4),
     .balance = 130, .version = 5, .own = own_id_effect::remember, .clearing = true,
     .clearing_owner = "acme", .marks_partner = true},
    {.rule = "a refund marks its bet rolled back", .record = txn(txn_kind::rollback, 30, 130, 5),
     .before = player(100, 4), .balance = 130, .version = 5, .own = own_id_effect::remember,
     .ref = ref_id_effect::mark_rolled_back, .clearing = true, .clearing_owner = "acme",
     .marks_partner = true},
    {.rule = "a deposit clears against the house", .record = txn(txn_kind::deposit, 30, 130, 5),
     .before = player(100, 4), .balance = 130, .version = 5, .own = own_id_effect::remember,
     .clearing = true, .clearing_owner = ""},
    {.rule = "a withdrawal clears against the house",
     .record = txn(txn_kind::withdraw, -30, 70, 5), .before = player(100, 4), .balance = 70,
     .version = 5, .own = own_id_effect::remember, .clearing = true, .clearing_owner = ""},
    {.rule = "a record already held (replayed over a snapshot) is stale",
     .record = txn(txn_kind::bet, -30, 70, 5), .before = player(70, 5), .stale = true},
    {.rule = "an older record is stale too", .record = txn(txn_kind::bet, -30, 70, 3),
     .before = player(70, 5), .stale = true},
    {.rule = "a version gap", .record = txn(txn_kind::bet, -30, 70, 6),
     .before = player(100, 4), .problem = "version gap: record version 6 after account version 4"},
    {.rule = "an unknown account", .record = txn(txn_kind::bet, -30, 70, 5),
     .problem = "unknown account (record version 5)"},
    {.rule = "another currency", .record = in(txn(txn_kind::bet, -30, 70, 5), "USD"),
     .before = player(100, 4), .problem = "record currency 'USD' but account currency EUR"},
    {.rule = "a balance_after that folding does not give",
     .record = txn(txn_kind::bet, -30, 71, 5), .before = player(100, 4),
     .problem = "balance_after mismatch at version 5: record says 71, folding gives 70"},
    {.rule = "an overflow", .record = txn(txn_kind::win, 10, 0, 5),
     .before = player(INT64_MAX - 5, 4), .problem = "balance overflow at version 5"},
    {.rule = "a bet that credits", .record = txn(txn_kind::bet, 30, 130, 5),
     .before = player(100, 4), .problem = "has the wrong sign for a bet"},
    {.rule = "a win that debits", .record = txn(txn_kind::win, -30, 70, 5),
     .before = player(100, 4), .problem = "has the wrong sign for a win"},
    {.rule = "an applied record that moves nothing", .record = txn(txn_kind::win, 0, 100, 5),
     .before = player(100, 4), .problem = "has the wrong sign"},
    {.rule = "a transfer as a player leg", .record = txn(txn_kind::transfer, -30, 70, 5),
     .before = player(100, 4), .problem = "transfer recorded as a player leg"},

    // -- transfers --
    {.rule = "a transfer's debit remembers its id",
     .record = txn(txn_kind::transfer, -30, 70, 5, leg_role::transfer_debit),
     .before = player(100, 4), .balance = 70, .version = 5, .own = own_id_effect::remember,
     .half = transfer_half::debit},
    {.rule = "a transfer's credit",
     .record = txn(txn_kind::transfer, 30, 130, 5, leg_role::transfer_credit),
     .before = player(100, 4), .balance = 130, .version = 5, .half = transfer_half::credit},
    {.rule = "a refund forgets the transfer's id",
     .record = txn(txn_kind::transfer, 30, 130, 5, leg_role::transfer_refund),
     .before = player(100, 4), .balance = 130, .version = 5, .own = own_id_effect::forget,
     .half = transfer_half::refund},
    {.rule = "a debit that credits",
     .record = txn(txn_kind::transfer, 30, 130, 5, leg_role::transfer_debit),
     .before = player(100, 4), .problem = "has the wrong sign for a transfer"},
    {.rule = "a transfer leg of another kind",
     .record = txn(txn_kind::bet, -30, 70, 5, leg_role::transfer_debit),
     .before = player(100, 4), .problem = "transfer leg of a bet"},

    // -- notes: rollbacks that moved nothing --
    {.rule = "a noop rollback leaves a tombstone", .record = note(txn_status::noop, 4),
     .before = player(100, 4), .balance = 100, .version = 4,
     .own = own_id_effect::remember_unless_known, .ref = ref_id_effect::tombstone,
     .marks_partner = true},
    {.rule = "a duplicate rollback is remembered only", .record = note(txn_status::duplicate, 4),
     .before = player(100, 4), .balance = 100, .version = 4,
     .own = own_id_effect::remember_unless_known, .marks_partner = true},
    {.rule = "an old note replayed", .record = note(txn_status::noop, 2),
     .before = player(100, 4), .balance = 100, .version = 4,
     .own = own_id_effect::remember_unless_known, .ref = ref_id_effect::tombstone,
     .marks_partner = true},
    {.rule = "a note ahead of its account", .record = note(txn_status::noop, 5),
     .before = player(100, 4), .problem = "version gap in a note"},
    {.rule = "a note that moves money", .record = note(txn_status::noop, 4, 5),
     .before = player(100, 4), .problem = "note with amount 5"},

    // -- status changes and opens --
    {.rule = "a block", .record = status(account_status::blocked, 5), .before = player(100, 4),
     .balance = 100, .version = 5},
    {.rule = "a status change replayed", .record = status(account_status::blocked, 4),
     .before = player(100, 4), .stale = true},
    {.rule = "a status change after a gap", .record = status(account_status::blocked, 7),
     .before = player(100, 4), .problem = "version gap in a status change"},
    {.rule = "an open creates the account", .record = open("EUR")},
    {.rule = "an open replayed", .record = open("EUR"), .before = player(0, 0), .stale = true},
    {.rule = "an open in another currency", .record = open("USD"), .before = player(0, 3),
     .problem = "open in USD of an existing EUR account (at version 3)"},
    {.rule = "an open without a valid currency", .record = open("eur"),
     .problem = "open with invalid currency 'eur'"},
};

}  // namespace

BOOST_AUTO_TEST_CASE(every_kind_of_record) {
  for (const auto& t : rows) {
    BOOST_TEST_CONTEXT(t.rule) {
      auto c = apply(t.record, t.before ? &*t.before : nullptr);
      if (t.problem != nullptr) {
        BOOST_CHECK_MESSAGE(c.problem.find(t.problem) != std::string::npos,
                            "'" << c.problem << "' does not say '" << t.problem << "'");
        continue;
      }
      BOOST_REQUIRE_MESSAGE(c.fits(), c.problem);
      BOOST_CHECK_EQUAL(c.stale, t.stale);
      if (t.stale)
        continue;
      if (t.record.type == record_type::open) {
        BOOST_CHECK(c.creates_account);
        BOOST_CHECK_EQUAL(c.account.currency, pack_currency("EUR"));
        BOOST_CHECK_EQUAL(c.account.version, 0u);
        continue;
      }
      BOOST_CHECK_EQUAL(c.account.balance, t.balance);
      BOOST_CHECK_EQUAL(c.account.version, t.version);
      BOOST_CHECK(c.own == t.own);
      BOOST_CHECK(c.ref == t.ref);
      BOOST_CHECK(c.half == t.half);
      BOOST_CHECK_EQUAL(c.clearing.present, t.clearing);
      if (t.clearing) {
        BOOST_CHECK_EQUAL(c.clearing.owner, t.clearing_owner);
        BOOST_CHECK_EQUAL(c.clearing.amount, 30);
        BOOST_CHECK(c.clearing.kind == t.record.kind);
      }
      BOOST_CHECK_EQUAL(c.mark.empty(), !t.marks_partner);
    }
  }
}

BOOST_AUTO_TEST_CASE(what_ids_keep) {
  // A bet keeps what a rollback needs; other kinds only their result; tombstones their player.
  auto bet = txn(txn_kind::bet, -30, 70, 5);
  auto e = remembered(bet);
  BOOST_CHECK(e.state == id_state::done);
  BOOST_CHECK(e.kind == txn_kind::bet);
  BOOST_CHECK(e.outcome == txn_status::applied);
  BOOST_CHECK_EQUAL(e.account, "alice");
  BOOST_CHECK_EQUAL(e.amount, 30);
  BOOST_CHECK_EQUAL(e.balance, 70);
  BOOST_CHECK_EQUAL(e.version, 5u);
  BOOST_CHECK_EQUAL(e.fingerprint, 77u);
  BOOST_CHECK_EQUAL(e.created_at_s, 1'790'000'000);
  BOOST_CHECK_EQUAL(e.currency, pack_currency("EUR"));
  auto w = remembered(txn(txn_kind::win, 30, 130, 5));
  BOOST_CHECK(w.account.empty());
  BOOST_CHECK_EQUAL(w.amount, 0);
  BOOST_CHECK_EQUAL(w.currency, pack_currency("EUR"));
  auto n = remembered(note(txn_status::noop, 4));
  BOOST_CHECK(n.outcome == txn_status::noop);
  auto t = tombstone_of(note(txn_status::noop, 4));
  BOOST_CHECK(t.state == id_state::tombstone);
  BOOST_CHECK(t.kind == txn_kind::bet);
  BOOST_CHECK_EQUAL(t.account, "alice");
  BOOST_CHECK_EQUAL(t.amount, 0);
  BOOST_CHECK_EQUAL(t.fingerprint, 0u);
  BOOST_CHECK(own_key(bet) == hash_id("acme", "t1"));
  BOOST_CHECK(ref_key(txn(txn_kind::rollback, 30, 130, 5)) == hash_id("acme", "b1"));
}
