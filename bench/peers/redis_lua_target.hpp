// The Redis-Lua wallet as a wallet_target: one hiredis connection, every transaction one
// EVALSHA of wallet.lua, pipelined.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/wallet_target.hpp"

namespace settle::persistence {
class redis_connection;
}

namespace settle::bench::peers {

/// A Redis-Lua wallet over one connection to `address` (HOST:PORT or unix:/path; anything
/// else throws std::invalid_argument). Loads the script on connect (std::runtime_error when
/// that fails); ids are kept for the engine's default retention (7 days).
class redis_lua_target final : public wallet_target {
public:
  explicit redis_lua_target(const std::string& address);
  ~redis_lua_target() override;
  redis_lua_target(const redis_lua_target&) = delete;
  redis_lua_target& operator=(const redis_lua_target&) = delete;

  std::string name() const override { return "redis-lua"; }
  void setup(const std::vector<account_spec>& accounts) override;
  void send(uint64_t tag, const protocol::request& txn) override;
  void flush() override;
  bool receive(uint64_t& tag, protocol::response& out, int timeout_ms) override;
  bool answer_ready() const override { return !ready_.empty(); }
  int fd() const override;

  /// Where the wallet keeps things (tests read balances directly).
  static std::string account_key(const std::string& account);
  static constexpr const char* feed_key = "wallet:feed";

private:
  /// Queues one EVALSHA of the wallet script.
  void append_evalsha(const std::vector<std::string>& keys, const std::vector<std::string>& args);
  /// Moves every complete reply into ready_; reads from the socket (waiting at most
  /// `timeout_ms`) only when none is buffered. Throws on a broken connection.
  void read_replies(int timeout_ms);

  std::unique_ptr<persistence::redis_connection> conn_;
  std::string sha_;
  std::deque<uint64_t> in_flight_;  // tags in send order: Redis answers in order
  std::deque<std::pair<uint64_t, protocol::response>> ready_;
};

}  // namespace settle::bench::peers
