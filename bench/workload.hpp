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

/// Player i's account id ("p<i>") and partner j's id ("prov<j>"): the names the load uses.
std::string player_id(uint64_t i);
std::string partner_id(uint64_t j);

/// splitmix64 (Steele, Lea, Flood 2014): a fast generator of good statistical quality. The
/// load generator shares its two cores with the engine it measures, and std::mt19937_64 was a
/// visible part of its profile; std::minstd_rand is too weak for a Zipf draw.
class fast_rng {
public:
  using result_type = uint64_t;
  explicit fast_rng(uint64_t seed) : state_(seed) {}
  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return ~result_type{0}; }
  result_type operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

private:
  uint64_t state_;
};

/// One load thread's transactions (deterministic per thread).
class workload_generator {
public:
  workload_generator(const workload_options& o, int thread);
  protocol::request next();

private:
  uint64_t pick(uint64_t n) { return rng_() % n; }
  void player(protocol::request& r);
  /// Keeps `r` in a bounded sample, replacing a random entry 1 time in `one_in` once full.
  void remember(std::vector<protocol::request>& v, const protocol::request& r, uint64_t one_in);

  const workload_options& o_;
  int thread_;
  fast_rng rng_;
  zipf_distribution zipf_;
  uint64_t seq_ = 0;
  std::vector<protocol::request> bets_;  // wins share their rounds, rollbacks name them
  std::vector<protocol::request> sent_;  // retries resend one of these unchanged
};

}  // namespace settle::bench
