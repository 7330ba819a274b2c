#include "bench/peers/redis_lua_target.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "bench/peers/deadline.hpp"
#include "bench/peers/embedded_sources.hpp"
#include "bench/peers/peer_answer.hpp"
#include "persistence/redis_connection.hpp"

namespace settle::bench::peers {

namespace {

// The engine's defaults: ids are remembered for id_retention_s = 7 days. The feed keeps about
// the last million changes (MAXLEN ~), so its memory stays bounded under any load.
constexpr const char* id_retention_s = "604800";
constexpr const char* feed_max_entries = "1000000";
// setup(): accounts per script call (Redis runs one call alone: a few ms each), and calls
// per pipelined round trip.
constexpr size_t setup_batch_accounts = 500;
constexpr size_t setup_batches_in_flight = 8;
constexpr int setup_timeout_ms = 60'000;

std::string id_key(std::string_view ns, std::string_view id) {
  // Partner ids never contain ':', so the first ':' after the prefix ends the namespace.
  std::string key = "txn:";
  key.append(ns).append(":").append(id);
  return key;
}

/// A connection to `address` with a 5 s connect timeout. No timeout on commands: reads are
/// polled with their own deadlines (read_replies), and setup waits as long as a script runs.
std::unique_ptr<persistence::redis_connection> connect(const std::string& address) {
  auto where = persistence::redis_address::parse(address);
  where.timeout_ms = 5000;
  try {
    auto c = std::make_unique<persistence::redis_connection>(where);
    c->set_timeout_ms(0);
    return c;
  } catch (const persistence::redis_error& e) {
    throw std::runtime_error(std::string{"redis-lua: "} + e.what());
  }
}

std::string reply_text(const redisReply* r) {
  return std::string{persistence::reply_text(r)};
}

/// wallet.lua's reply {code, balance, version, has_balance, message} as the engine's answer.
protocol::response to_response(const redisReply* r) {
  if (r->type == REDIS_REPLY_ERROR)
    return peer_failure("redis: " + reply_text(r));
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 5 ||
      r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_INTEGER ||
      r->element[2]->type != REDIS_REPLY_INTEGER || r->element[3]->type != REDIS_REPLY_INTEGER)
    return peer_failure("redis: unexpected reply to EVALSHA");
  return peer_answer(reply_text(r->element[0]), r->element[1]->integer,
                     static_cast<uint64_t>(r->element[2]->integer), r->element[3]->integer != 0,
                     reply_text(r->element[4]));
}

}  // namespace

redis_lua_target::redis_lua_target(const std::string& address) : conn_(connect(address)) {
  try {
    auto r = conn_->run({"SCRIPT", "LOAD", peers::wallet_lua});
    if (r->type == REDIS_REPLY_STRING)
      sha_ = reply_text(r.get());
  } catch (const persistence::redis_error& e) {
    throw std::runtime_error(std::string{"redis-lua: "} + e.what());
  }
  if (sha_.empty())
    throw std::runtime_error("redis-lua: SCRIPT LOAD answered without a script id");
}

redis_lua_target::~redis_lua_target() = default;

std::string redis_lua_target::account_key(const std::string& account) {
  return "acct:" + account;
}

void redis_lua_target::append_evalsha(const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args) {
  auto numkeys = std::to_string(keys.size());
  std::vector<std::string_view> argv{"EVALSHA", sha_, numkeys};
  for (const auto* part : {&keys, &args})
    for (const auto& s : *part)
      argv.push_back(s);
  try {
    conn_->append(argv);
  } catch (const persistence::redis_error& e) {
    throw std::runtime_error(std::string{"redis-lua: "} + e.what());
  }
}

void redis_lua_target::send(uint64_t tag, const protocol::request& txn) {
  auto ns = id_namespace(txn);
  auto amount = named_amount(txn);
  std::vector<std::string> keys{account_key(txn.account), id_key(ns, txn.id), feed_key};
  if (txn.kind == protocol::txn_kind::rollback)
    keys.push_back(id_key(ns, txn.ref));  // the bet it names, in the same namespace
  append_evalsha(keys, {std::string{protocol::to_string(txn.kind)}, txn.id, txn.account,
                        txn.currency, amount ? std::to_string(*amount) : std::string{},
                        std::to_string(request_fingerprint(txn)), txn.partner, txn.ref,
                        id_retention_s, feed_max_entries});
  in_flight_.push_back(tag);
}

void redis_lua_target::flush() {
  // The socket is blocking: each write waits for room, and Redis keeps reading while its
  // replies queue in its output buffer, so writing everything before reading cannot stall.
  redisContext* ctx = conn_->context();
  int done = 0;
  while (done == 0)
    if (redisBufferWrite(ctx, &done) != REDIS_OK)
      throw std::runtime_error(std::string{"redis-lua: write failed: "} + ctx->errstr);
}

void redis_lua_target::read_replies(int timeout_ms) {
  // Non-blocking reads on the connection's socket: a reply is taken once it is complete.
  redisContext* ctx = conn_->context();
  auto take_buffered = [this, ctx] {
    void* reply = nullptr;
    for (;;) {
      if (redisGetReplyFromReader(ctx, &reply) != REDIS_OK)
        throw std::runtime_error(std::string{"redis-lua: bad reply: "} + ctx->errstr);
      if (reply == nullptr)
        return;
      auto* r = static_cast<redisReply*>(reply);
      if (in_flight_.empty()) {
        freeReplyObject(r);
        throw std::runtime_error("redis-lua: a reply without a request");
      }
      auto resp = to_response(r);
      freeReplyObject(r);
      resp.rid = in_flight_.front();
      ready_.emplace_back(in_flight_.front(), std::move(resp));
      in_flight_.pop_front();
    }
  };
  take_buffered();
  auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
  while (ready_.empty()) {
    pollfd p{ctx->fd, POLLIN, 0};
    // Waits even with nothing in flight: the caller asked to wait, and returning at once
    // would make an open-loop caller spin.
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw std::runtime_error(std::string{"redis-lua: poll failed: "} + std::strerror(errno));
    if (n == 0)
      return;
    if (redisBufferRead(ctx) != REDIS_OK)
      throw std::runtime_error(std::string{"redis-lua: connection lost: "} + ctx->errstr);
    take_buffered();
    if (clock_type::now() >= deadline)
      return;
  }
}

int redis_lua_target::fd() const {
  return conn_->context()->fd;
}

bool redis_lua_target::receive(uint64_t& tag, protocol::response& out, int timeout_ms) {
  if (ready_.empty())
    read_replies(timeout_ms);
  if (ready_.empty())
    return false;
  tag = ready_.front().first;
  out = std::move(ready_.front().second);
  ready_.pop_front();
  return true;
}

void redis_lua_target::setup(const std::vector<account_spec>& accounts) {
  // Batches of accounts, each opened with its initial deposit (stable id d<account>) by one
  // call of the script's "open"; a few batches in flight per round trip.
  size_t batches_in_flight = 0;
  auto collect = [&] {
    for (; batches_in_flight > 0; --batches_in_flight) {
      uint64_t tag = 0;
      protocol::response resp;
      if (!receive(tag, resp, setup_timeout_ms))
        throw std::runtime_error("redis-lua: setup: no answer within 60 s");
      if (!resp.ok())
        throw std::runtime_error("redis-lua: setup failed: " +
                                 std::string{protocol::to_string(resp.error)} + ": " +
                                 resp.message);
    }
  };
  for (size_t start = 0; start < accounts.size(); start += setup_batch_accounts) {
    size_t end = std::min(accounts.size(), start + setup_batch_accounts);
    std::vector<std::string> keys, args{"open", id_retention_s, feed_max_entries};
    for (size_t i = start; i < end; ++i) {
      const auto& a = accounts[i];
      protocol::request d;  // the deposit the engine's setup sends, for its fingerprint
      d.op = protocol::op_kind::txn;
      d.kind = protocol::txn_kind::deposit;
      d.id = "d" + a.id;
      d.account = a.id;
      d.currency = a.currency;
      d.amount = a.initial_balance;
      d.has_amount = true;
      keys.push_back(account_key(a.id));
      keys.push_back(id_key(id_namespace(d), d.id));
      args.insert(args.end(), {a.id, a.currency, std::to_string(a.initial_balance),
                               std::to_string(request_fingerprint(d))});
    }
    keys.emplace_back(feed_key);
    append_evalsha(keys, args);
    in_flight_.push_back(0);
    if (++batches_in_flight == setup_batches_in_flight) {
      flush();
      collect();
    }
  }
  flush();
  collect();
}

}  // namespace settle::bench::peers
