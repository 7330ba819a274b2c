// What the load generator drives: the engine over TCP, or a peer a buyer would build instead
// (a Redis-Lua wallet, a PostgreSQL ledger). One instance per load thread and connection.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/messages.hpp"

namespace settle::bench {

/// One player account the load uses: opened and funded by setup().
struct account_spec {
  std::string id;
  std::string currency;
  int64_t initial_balance = 0;
};

/// A wallet that settles transactions. Pipelined and not thread-safe: send() any number of
/// transactions, flush(), then receive() their answers (in any order; the tag says which).
/// Answers use the engine's vocabulary: ok with status applied / duplicate / noop and the
/// balance after, or an error code (insufficient_funds, ref_mismatch, ...).
class wallet_target {
public:
  virtual ~wallet_target() = default;
  /// A short name for tables ("settle", "redis-lua", "postgres").
  virtual std::string name() const = 0;
  /// Creates and funds `accounts` (idempotent: a second call changes nothing). Called on one
  /// instance before the load starts.
  virtual void setup(const std::vector<account_spec>& accounts) = 0;
  /// Queues one transaction: a protocol::request with op txn and kind bet, win, rollback,
  /// deposit or withdraw (the ids of bets, wins and rollbacks live in their partner's
  /// namespace, deposits and withdrawals in a shared one, as in the engine).
  virtual void send(uint64_t tag, const protocol::request& txn) = 0;
  /// Writes what send() queued.
  virtual void flush() = 0;
  /// The next answer, waiting at most `timeout_ms`; false on timeout. Throws on a broken
  /// connection.
  virtual bool receive(uint64_t& tag, protocol::response& out, int timeout_ms) = 0;
  /// True if receive() can answer without waiting for the network.
  virtual bool answer_ready() const = 0;
  /// The socket to poll for answers (receive(..., 0) then reads what came, without waiting),
  /// so one thread can drive many connections.
  virtual int fd() const = 0;
  /// True while queued requests still wait for the socket to take them (poll for writing).
  virtual bool wants_write() const { return false; }
};

}  // namespace settle::bench
