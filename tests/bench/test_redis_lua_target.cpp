// The Redis-Lua wallet (bench/peers/wallet.lua) against a real redis-server: the engine's
// transaction rules, pipelining, and its change feed.
#define BOOST_TEST_MODULE redis_lua_target
#include <boost/test/unit_test.hpp>

#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "bench/peer_targets.hpp"
#include "bench/peers/redis_lua_target.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/redis_server.hpp"
#include "tests/bench/peer_contract.hpp"

using namespace settle;

namespace {

/// One redis-server for the whole run (AOF at everysec, as the benchmark runs it), on a free
/// loopback port, in a temporary directory removed at exit.
class redis_peer final : public test::peer_under_test {
public:
  redis_peer() {
    char tmpl[] = "/tmp/settle-redis-lua-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    persistence::redis_server_options o;
    o.dir = dir_;
    o.port = persistence::pick_free_loopback_port();
    o.die_with_parent = true;  // never outlives a crashed test
    server_ = std::make_unique<persistence::redis_server>(o);
    address_ = "127.0.0.1:" + std::to_string(o.port);
    reader_ = std::make_unique<persistence::redis_connection>(
        persistence::redis_address::parse(address_));
  }
  ~redis_peer() override {
    reader_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::unique_ptr<bench::wallet_target> connect() override {
    return bench::make_peer_target("redis-lua", address_, "");
  }
  int64_t stored_balance(const std::string& account) override {
    auto key = bench::peers::redis_lua_target::account_key(account);
    return std::stoll(command({"HGET", key, "b"}));
  }
  /// One command's reply as text (integers and strings); "<nil>" for none.
  std::string command(std::initializer_list<std::string_view> args) {
    auto r = reader_->run(args);
    return r->type == REDIS_REPLY_INTEGER ? std::to_string(r->integer)
           : r->str != nullptr           ? std::string{persistence::reply_text(r.get())}
                                         : "<nil>";
  }
  const std::string& socket() const { return server_->unix_socket(); }

private:
  std::string dir_, address_;
  std::unique_ptr<persistence::redis_server> server_;
  std::unique_ptr<persistence::redis_connection> reader_;
};

redis_peer& peer() {
  static redis_peer p;
  return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(setup_opens_and_funds_once) { test::setup_opens_and_funds_once(peer()); }
BOOST_AUTO_TEST_CASE(movements_change_the_balance) { test::movements_change_the_balance(peer()); }
BOOST_AUTO_TEST_CASE(insufficient_funds_is_refused_with_the_balance) {
  test::insufficient_funds_is_refused_with_the_balance(peer());
}
BOOST_AUTO_TEST_CASE(retry_answers_duplicate_and_changes_nothing) {
  test::retry_answers_duplicate_and_changes_nothing(peer());
}
BOOST_AUTO_TEST_CASE(same_id_with_other_fields_is_id_conflict) {
  test::same_id_with_other_fields_is_id_conflict(peer());
}
BOOST_AUTO_TEST_CASE(rollback_refunds_the_bet_once) { test::rollback_refunds_the_bet_once(peer()); }
BOOST_AUTO_TEST_CASE(rollback_before_its_bet_leaves_a_tombstone) {
  test::rollback_before_its_bet_leaves_a_tombstone(peer());
}
BOOST_AUTO_TEST_CASE(unknown_account_currency_and_amount_are_refused) {
  test::unknown_account_currency_and_amount_are_refused(peer());
}
BOOST_AUTO_TEST_CASE(pipelined_mix_moves_exactly_the_applied_amounts) {
  test::pipelined_mix_moves_exactly_the_applied_amounts(peer());
}
BOOST_AUTO_TEST_CASE(racing_copies_of_one_id_apply_once) {
  test::racing_copies_of_one_id_apply_once(peer());
}

BOOST_AUTO_TEST_CASE(each_settled_transaction_adds_one_feed_entry) {
  auto& p = peer();
  auto w = p.connect();
  w->setup({{"feed-a", "EUR", 1000}});
  auto before = std::stoll(p.command({"XLEN", "wallet:feed"}));
  protocol::request bet;
  bet.op = protocol::op_kind::txn;
  bet.kind = protocol::txn_kind::bet;
  bet.id = "feed-bet";
  bet.account = "feed-a";
  bet.currency = "EUR";
  bet.partner = "prov1";
  bet.amount = 10;
  bet.has_amount = true;
  auto refused = bet;
  refused.id = "feed-too-much";
  refused.amount = 5000;
  for (const auto* r : {&bet, &bet, &refused})  // applied, duplicate, refused
    w->send(1, *r);
  w->flush();
  for (int i = 0; i < 3; ++i) {
    uint64_t tag = 0;
    protocol::response resp;
    BOOST_REQUIRE(w->receive(tag, resp, 5000));
  }
  // Only the applied one changed anything, so only it is in the feed.
  BOOST_CHECK_EQUAL(std::stoll(p.command({"XLEN", "wallet:feed"})), before + 1);
}

BOOST_AUTO_TEST_CASE(connects_over_a_unix_socket_and_fails_clearly) {
  auto w = bench::make_peer_target("redis-lua", "unix:" + peer().socket(), "");
  w->setup({{"unix-a", "EUR", 10}});
  BOOST_CHECK_EQUAL(peer().stored_balance("unix-a"), 10);
  BOOST_CHECK_THROW(bench::make_peer_target("redis-lua", "unix:/nonexistent/redis.sock", ""),
                    std::runtime_error);
  BOOST_CHECK_THROW(bench::make_peer_target("redis-lua", "no-port", ""), std::invalid_argument);
  BOOST_CHECK_THROW(bench::make_peer_target("mysql", "", ""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(receive_times_out_when_nothing_is_in_flight) {
  auto w = peer().connect();
  uint64_t tag = 0;
  protocol::response resp;
  BOOST_CHECK(!w->receive(tag, resp, 20));
  BOOST_CHECK(!w->answer_ready());
}
