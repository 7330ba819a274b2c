// The PostgreSQL ledger as a wallet_target: one libpq connection in pipeline mode, every
// transaction one call of settle_txn() in its own SQL transaction.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/wallet_target.hpp"

struct pg_conn;

namespace settle::bench::peers {

/// A PostgreSQL ledger over one connection (`conninfo`: a libpq connection string; add
/// `options='-c synchronous_commit=off'` for the asynchronous-commit variant). setup()
/// creates the schema from ledger.sql when missing.
class postgres_target final : public wallet_target {
public:
  explicit postgres_target(const std::string& conninfo);
  ~postgres_target() override;
  postgres_target(const postgres_target&) = delete;
  postgres_target& operator=(const postgres_target&) = delete;

  std::string name() const override { return "postgres"; }
  void setup(const std::vector<account_spec>& accounts) override;
  void send(uint64_t tag, const protocol::request& txn) override;
  void flush() override;
  bool receive(uint64_t& tag, protocol::response& out, int timeout_ms) override;
  bool answer_ready() const override { return !ready_.empty(); }
  int fd() const override;
  bool wants_write() const override { return unflushed_; }

private:
  /// One transaction on its way: its answer once its result arrived, or a retry.
  struct call {
    uint64_t tag = 0;
    protocol::request txn;
    int attempts = 1;
    std::optional<protocol::response> answer;
    bool retry = false;  // serialization_failure or deadlock: send it again
  };

  /// Runs `sql` outside pipeline mode; throws with the server's message on failure.
  void exec(const std::string& sql);
  /// Prepares settle_txn and enters pipeline mode (on the first send: setup needs the
  /// connection in its normal mode, and the function exists only after it).
  void enter_pipeline();
  void send_call(const call& c);
  /// Takes every result libpq has parsed; finished calls go to ready_, retries are re-sent.
  void take_results();
  /// Writes what libpq holds without blocking; true when everything is written.
  bool flush_some();

  pg_conn* conn_ = nullptr;
  bool pipelined_ = false;
  bool unflushed_ = false;
  std::deque<call> in_flight_;  // in send order: results come in the same order
  std::deque<std::pair<uint64_t, protocol::response>> ready_;
};

}  // namespace settle::bench::peers
