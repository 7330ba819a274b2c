// What a session counts for /metrics as it answers (metrics/engine_metrics.hpp): every
// transaction by kind and result, every request's duration by op. Counted where the answer
// is written, so the counts are what clients were answered.
#pragma once

#include <chrono>
#include <cstdint>

#include "actors/messages.hpp"
#include "metrics/engine_metrics.hpp"

namespace settle::gateway {

/// The steady clock in nanoseconds (request durations).
inline int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// One answer of op `op` (a txn's kind and result), `took_ns` after its request was read.
inline void count_answer(metrics::engine_metrics& m, protocol::op_kind op, protocol::txn_kind kind,
                         protocol::txn_status status, protocol::error_code error,
                         int64_t took_ns) {
  if (op == protocol::op_kind::txn)
    m.count_txn(kind, status, error);
  m.request_duration_us[static_cast<size_t>(op)].observe(
      took_ns > 0 ? static_cast<uint64_t>(took_ns) / 1000 : 0);
}

/// A shard's answer, written at `now_ns`.
inline void count_reply(metrics::engine_metrics& m, const actors::reply& r, int64_t now_ns) {
  count_answer(m, r.op, r.kind, r.status, r.error, r.received_ns != 0 ? now_ns - r.received_ns : 0);
}

}  // namespace settle::gateway
