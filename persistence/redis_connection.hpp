// One blocking hiredis connection: how persistence/, the bench peers and the tests talk to
// Redis. Connects within the address's timeout, which then bounds every command; replies are
// owned; failures throw redis_error naming the address and the command. Inline (no .cpp) so
// that the bench peers, which link hiredis but not settle_persistence, use it too.
#pragma once

#include <sys/time.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include "persistence/redis_address.hpp"

namespace settle::persistence {

struct redis_reply_free {
  void operator()(redisReply* r) const {
    if (r != nullptr)
      freeReplyObject(r);
  }
};
/// A reply, freed with its elements when it goes.
using redis_reply = std::unique_ptr<redisReply, redis_reply_free>;

/// The bytes of a string, status or error reply ("" for other types).
inline std::string_view reply_text(const redisReply* r) {
  if (r == nullptr || r->str == nullptr)
    return {};
  return {r->str, static_cast<size_t>(r->len)};
}

/// Redis could not be reached, did not answer in time, or answered an error. The message
/// names the address and, for a command, its name and key.
class redis_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class redis_connection {
public:
  /// Connects to `address` within its timeout_ms, which also bounds every later command.
  /// Throws redis_error when Redis cannot be reached.
  explicit redis_connection(redis_address address) : address_(std::move(address)) {
    if (std::string why = connect(); !why.empty())
      throw redis_error("Redis at " + address_.name() + ": cannot connect: " + why);
  }
  /// The same, or null when Redis cannot be reached: for callers that expect that and try
  /// again on their own (a reconnect loop, a probe while a server starts).
  static std::unique_ptr<redis_connection> try_connect(redis_address address) {
    std::unique_ptr<redis_connection> c{new redis_connection(std::move(address), unconnected{})};
    if (!c->connect().empty())
      c.reset();
    return c;
  }
  ~redis_connection() {
    if (ctx_ != nullptr)
      redisFree(ctx_);
  }
  redis_connection(redis_connection&& other) noexcept
      : address_(std::move(other.address_)), ctx_(std::exchange(other.ctx_, nullptr)) {}
  redis_connection& operator=(redis_connection&& other) noexcept {
    std::swap(address_, other.address_);
    std::swap(ctx_, other.ctx_);
    return *this;
  }
  redis_connection(const redis_connection&) = delete;
  redis_connection& operator=(const redis_connection&) = delete;

  /// Runs one command; returns its reply, never an error reply. Throws redis_error when no
  /// answer comes (connection lost, timeout) or the answer is an error.
  redis_reply run(std::initializer_list<std::string_view> args) {
    return run(std::span<const std::string_view>{args.begin(), args.size()});
  }
  redis_reply run(std::span<const std::string_view> args) {
    argv_of(args);
    redis_reply r{static_cast<redisReply*>(redisCommandArgv(
        ctx_, static_cast<int>(argv_.size()), argv_.data(), lengths_.data()))};
    if (r == nullptr)
      throw redis_error("Redis at " + address_.name() + ": " + command_name(args) +
                        " got no answer: " + std::string{failure()});
    if (r->type == REDIS_REPLY_ERROR)
      throw redis_error("Redis at " + address_.name() + ": " + command_name(args) + ": " +
                        std::string{reply_text(r.get())});
    return r;
  }

  /// Pipelining: queues a command; it is sent by the next read_reply().
  void append(std::initializer_list<std::string_view> args) {
    append(std::span<const std::string_view>{args.begin(), args.size()});
  }
  void append(std::span<const std::string_view> args) {
    argv_of(args);
    if (redisAppendCommandArgv(ctx_, static_cast<int>(argv_.size()), argv_.data(),
                               lengths_.data()) != REDIS_OK)
      throw redis_error("Redis at " + address_.name() + ": cannot queue " +
                        command_name(args) + ": " + std::string{failure()});
  }
  /// Sends what is queued and returns the next reply in order, error replies included (the
  /// caller decides what they mean); null when none came (connection lost, timeout): the
  /// connection is broken() then and of no further use.
  redis_reply read_reply() {
    void* raw = nullptr;
    if (redisGetReply(ctx_, &raw) != REDIS_OK)
      return nullptr;
    return redis_reply{static_cast<redisReply*>(raw)};
  }

  /// A command failed without an answer: nothing more can be sent on this connection.
  bool broken() const { return ctx_ == nullptr || ctx_->err != 0; }
  /// hiredis's description of the failure ("" while there is none).
  std::string_view failure() const { return ctx_ == nullptr ? "not connected" : ctx_->errstr; }
  const redis_address& address() const { return address_; }
  /// Changes the per-command timeout (0: none), e.g. for a reader that polls on its own.
  void set_timeout_ms(uint32_t timeout_ms) {
    if (redisSetTimeout(ctx_, to_timeval(timeout_ms)) != REDIS_OK)
      throw redis_error("Redis at " + address_.name() + ": cannot set a timeout: " +
                        std::string{failure()});
  }
  /// The hiredis context, for callers that drive the socket themselves (a non-blocking
  /// reader, a shutdown() that wakes a blocked SUBSCRIBE).
  redisContext* context() const { return ctx_; }

private:
  struct unconnected {};
  redis_connection(redis_address address, unconnected) : address_(std::move(address)) {}

  /// Connects; "" or why not.
  std::string connect() {
    timeval tv = to_timeval(address_.timeout_ms);
    bool bounded = address_.timeout_ms > 0;
    if (address_.unix_socket.empty())
      ctx_ = bounded ? redisConnectWithTimeout(address_.host.c_str(), address_.port, tv)
                     : redisConnect(address_.host.c_str(), address_.port);
    else
      ctx_ = bounded ? redisConnectUnixWithTimeout(address_.unix_socket.c_str(), tv)
                     : redisConnectUnix(address_.unix_socket.c_str());
    if (ctx_ == nullptr)
      return "out of memory";
    if (ctx_->err == 0 && (!bounded || redisSetTimeout(ctx_, tv) == REDIS_OK))
      return {};
    std::string why = ctx_->errstr;
    redisFree(ctx_);
    ctx_ = nullptr;
    return why;
  }
  static timeval to_timeval(uint32_t ms) {
    return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  }
  /// "XADD settle:journal:0": the command and its key, never its (possibly huge) values.
  static std::string command_name(std::span<const std::string_view> args) {
    std::string out{args.empty() ? std::string_view{"(empty command)"} : args[0]};
    if (args.size() > 1)
      out.append(" ").append(args[1].substr(0, 200));
    return out;
  }
  void argv_of(std::span<const std::string_view> args) {
    if (args.empty())
      throw std::invalid_argument("an empty Redis command");
    argv_.clear();
    lengths_.clear();
    for (auto a : args) {
      argv_.push_back(a.data());
      lengths_.push_back(a.size());
    }
  }

  redis_address address_;
  redisContext* ctx_ = nullptr;
  std::vector<const char*> argv_;  // reused per command
  std::vector<size_t> lengths_;
};

}  // namespace settle::persistence
