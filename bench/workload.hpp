// The load: a configurable mix of bets, wins on the same rounds, rollbacks, deposits,
// withdrawals and provider retries, over players drawn from a Zipf distribution.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "bench/wallet_target.hpp"
#include "bench/zipf.hpp"
#include "protocol/messages.hpp"

namespace settle::bench {

/// What the load looks like. Percentages of new transactions; retries come on top.
struct workload_options {
  int accounts = 1'000'000;  // players p0..p<N-1>, currency i % currencies
  int partners = 20;         // prov0..prov<P-1>
  int currencies = 3;        // EUR USD KRW GBP JPY, the first C of them
  double zipf_s = 0.99;      // player popularity exponent; 0 = uniform
  int bet_pct = 60, win_pct = 30, rollback_pct = 5, deposit_pct = 3, withdraw_pct = 2;
  double retry_pct = 1.0;    // share of requests that resend an earlier id unchanged
  int64_t initial_balance = 1'000'000'000;  // minor units per player at setup
  std::string run_prefix;    // keeps ids unique per run against a long-lived wallet
};

/// Throws std::invalid_argument when the mix does not add up to 100 or a size is out of range.
void validate(const workload_options& o);

/// The players to open and fund before the load.
std::vector<account_spec> accounts_of(const workload_options& o);

/// One load thread's transactions (deterministic per thread).
class workload_generator {
public:
  workload_generator(const workload_options& o, int thread);
  protocol::request next();

private:
  uint64_t pick(uint64_t n) { return rng_() % n; }
  void player(protocol::request& r);
  void remember(std::vector<protocol::request>& v, const protocol::request& r);

  const workload_options& o_;
  int thread_;
  std::mt19937_64 rng_;
  zipf_distribution zipf_;
  uint64_t seq_ = 0;
  std::vector<protocol::request> bets_;  // wins share their rounds, rollbacks name them
  std::vector<protocol::request> sent_;  // retries resend one of these unchanged
};

}  // namespace settle::bench
