// Micro-benchmarks of the protocol codec on the engine's hot path: request decoding on the I/O
// thread, the two hot answers (txn result, error), and the client's response decoding.
// Run: ./build/bench/micro/settle-micro-codec [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace {

using namespace settle::protocol;

/// A bet as the load generator sends it: every optional field a provider usually fills.
request typical_bet() {
  request r;
  r.op = op_kind::txn;
  r.rid = 918273;
  r.kind = txn_kind::bet;
  r.id = "r1t3-1048576";
  r.account = "p48213";
  r.currency = "EUR";
  r.amount = 1250;
  r.has_amount = true;
  r.partner = "prov7";
  r.round = r.id;
  r.game = "slot3";
  return r;
}

request typical_rollback() {
  request r;
  r.op = op_kind::txn;
  r.rid = 918274;
  r.kind = txn_kind::rollback;
  r.id = "r1t3-1048577";
  r.ref = "r1t3-1048576";
  r.account = "p48213";
  r.currency = "EUR";
  r.partner = "prov7";
  return r;
}

/// The frame body (no length prefix) of `r`.
std::string body_of(const request& r) {
  std::vector<char> frame;
  encode_request(r, frame);
  return std::string{frame.data() + frame_header_bytes, frame.size() - frame_header_bytes};
}

template <class Out>
void decode_loop(benchmark::State& state, const std::string& body) {
  Out out;
  std::string why;
  for (auto _ : state) {
    auto st = decode_request(body, out, why);
    benchmark::DoNotOptimize(st);
    benchmark::DoNotOptimize(out);
  }
  if (decode_request(body, out, why) != decode_status::ok)
    state.SkipWithError(why.c_str());
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}

void BM_decode_bet_view(benchmark::State& state) {
  decode_loop<request_view>(state, body_of(typical_bet()));
}
BENCHMARK(BM_decode_bet_view);

void BM_decode_bet_owned(benchmark::State& state) {
  decode_loop<request>(state, body_of(typical_bet()));
}
BENCHMARK(BM_decode_bet_owned);

void BM_decode_rollback_view(benchmark::State& state) {
  decode_loop<request_view>(state, body_of(typical_rollback()));
}
BENCHMARK(BM_decode_rollback_view);

void BM_decode_rollback_owned(benchmark::State& state) {
  decode_loop<request>(state, body_of(typical_rollback()));
}
BENCHMARK(BM_decode_rollback_owned);

void BM_encode_request_bet(benchmark::State& state) {
  const request r = typical_bet();
  std::vector<char> out;
  for (auto _ : state) {
    out.clear();  // a reused write buffer, as in the client
    encode_request(r, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_encode_request_bet);

void BM_encode_txn_result(benchmark::State& state) {
  std::vector<char> out;
  uint64_t rid = 918273;
  for (auto _ : state) {
    out.clear();
    encode_txn_result(rid++, txn_status::applied, 874250, 4211, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_encode_txn_result);

/// The same answer through the general encoder, for comparison.
void BM_encode_response_txn(benchmark::State& state) {
  response r;
  r.op = op_kind::txn;
  r.outcome = txn_status::applied;
  r.balance = 874250;
  r.version = 4211;
  std::vector<char> out;
  uint64_t rid = 918273;
  for (auto _ : state) {
    out.clear();
    r.rid = rid++;
    encode_response(r, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_encode_response_txn);

constexpr std::string_view refusal = "balance 8750 is less than amount 99999";

void BM_encode_error(benchmark::State& state) {
  std::vector<char> out;
  uint64_t rid = 918273;
  for (auto _ : state) {
    out.clear();
    encode_error(op_kind::txn, rid++, error_code::insufficient_funds, refusal, true, 8750, 4, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_encode_error);

/// The same refusal through make_error + encode_response (what callers did before).
void BM_encode_response_error(benchmark::State& state) {
  std::vector<char> out;
  uint64_t rid = 918273;
  for (auto _ : state) {
    out.clear();
    auto r = make_error(op_kind::txn, rid++, error_code::insufficient_funds, std::string{refusal});
    r.has_balance = true;
    r.balance = 8750;
    r.version = 4;
    encode_response(r, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_encode_response_error);

void BM_decode_response_txn(benchmark::State& state) {
  response r;
  r.op = op_kind::txn;
  r.rid = 918273;
  r.outcome = txn_status::applied;
  r.balance = 874250;
  r.version = 4211;
  std::vector<char> frame;
  encode_response(r, frame);
  const std::string_view body{frame.data() + frame_header_bytes,
                              frame.size() - frame_header_bytes};
  response out;
  std::string why;
  for (auto _ : state) {
    bool ok = decode_response(body, out, why);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out);
  }
  if (!decode_response(body, out, why))
    state.SkipWithError(why.c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_decode_response_txn);

}  // namespace

BENCHMARK_MAIN();
