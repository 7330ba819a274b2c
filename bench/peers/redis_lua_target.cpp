#include "bench/peers/redis_lua_target.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <hiredis/hiredis.h>

#include "bench/peers/deadline.hpp"
#include "bench/peers/embedded_sources.hpp"
#include "bench/peers/peer_answer.hpp"

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

redisContext* connect(const std::string& address) {
  timeval timeout{5, 0};
  redisContext* c = nullptr;
  if (address.rfind("unix:", 0) == 0) {
    c = redisConnectUnixWithTimeout(address.substr(5).c_str(), timeout);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size())
      throw std::invalid_argument("redis-lua: address '" + address +
                                  "' is not HOST:PORT or unix:/path");
    c = redisConnectWithTimeout(address.substr(0, colon).c_str(),
                                std::stoi(address.substr(colon + 1)), timeout);
  }
  if (c == nullptr || c->err != 0) {
    std::string why = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr)
      redisFree(c);
    throw std::runtime_error("redis-lua: cannot connect to " + address + ": " + why);
  }
  return c;
}

std::string reply_text(const redisReply* r) {
  return r != nullptr && r->str != nullptr ? std::string{r->str, r->len} : std::string{};
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

redis_lua_target::redis_lua_target(const std::string& address) : ctx_(connect(address)) {
  const char* argv[] = {"SCRIPT", "LOAD", peers::wallet_lua.data()};
  size_t lens[] = {6, 4, peers::wallet_lua.size()};
  auto* r = static_cast<redisReply*>(redisCommandArgv(ctx_, 3, argv, lens));
  std::string error = r == nullptr                       ? std::string{ctx_->errstr}
                      : r->type != REDIS_REPLY_STRING ? reply_text(r)
                                                         : std::string{};
  if (r != nullptr && r->type == REDIS_REPLY_STRING)
    sha_ = reply_text(r);
  if (r != nullptr)
    freeReplyObject(r);
  if (sha_.empty()) {
    redisFree(ctx_);
    throw std::runtime_error("redis-lua: SCRIPT LOAD failed: " + error);
  }
}

redis_lua_target::~redis_lua_target() {
  redisFree(ctx_);
}

std::string redis_lua_target::account_key(const std::string& account) {
  return "acct:" + account;
}

void redis_lua_target::append_evalsha(const std::vector<std::string>& keys,
                                      const std::vector<std::string>& args) {
  auto numkeys = std::to_string(keys.size());
  std::vector<const char*> argv{"EVALSHA", sha_.c_str(), numkeys.c_str()};
  std::vector<size_t> lens{7, sha_.size(), numkeys.size()};
  for (const auto* part : {&keys, &args})
    for (const auto& s : *part) {
      argv.push_back(s.data());
      lens.push_back(s.size());
    }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()) !=
      REDIS_OK)
    throw std::runtime_error(std::string{"redis-lua: cannot queue a command: "} + ctx_->errstr);
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
  int done = 0;
  while (done == 0)
    if (redisBufferWrite(ctx_, &done) != REDIS_OK)
      throw std::runtime_error(std::string{"redis-lua: write failed: "} + ctx_->errstr);
}

void redis_lua_target::read_replies(int timeout_ms) {
  auto take_buffered = [this] {
    void* reply = nullptr;
    for (;;) {
      if (redisGetReplyFromReader(ctx_, &reply) != REDIS_OK)
        throw std::runtime_error(std::string{"redis-lua: bad reply: "} + ctx_->errstr);
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
    pollfd p{ctx_->fd, POLLIN, 0};
    // Waits even with nothing in flight: the caller asked to wait, and returning at once
    // would make an open-loop caller spin.
    int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw std::runtime_error(std::string{"redis-lua: poll failed: "} + std::strerror(errno));
    if (n == 0)
      return;
    if (redisBufferRead(ctx_) != REDIS_OK)
      throw std::runtime_error(std::string{"redis-lua: connection lost: "} + ctx_->errstr);
    take_buffered();
    if (clock_type::now() >= deadline)
      return;
  }
}

int redis_lua_target::fd() const {
  return ctx_->fd;
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
