// A partner's report CSV (report_csv.hpp) as the `reconcile` requests that carry it
// (docs/protocol.md "reconcile", "Chunks"): a report that fits in one request goes without a
// reconcile_id; a longer one in chunks under one reconcile_id, the last one `final`. A request
// holds at most max_reconcile_rows rows, and its frame at most the engine's max_frame_bytes
// (10,000 rows of 64-byte ids are about 1.1 MB: more than the default 1 MiB). Streams: at most
// one request and one read-ahead block of rows are in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "client/report_csv.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"

namespace settle::client {

/// Bytes a request's frame body holds besides its rows, at most (op, rid, partner, period,
/// reconcile_id, final, the rows' array header): what reconcile_chunker keeps free.
inline constexpr size_t reconcile_envelope_bytes = 512;

/// At most how many bytes `row` takes in a request's frame body.
size_t reconcile_row_bytes(const ledger::txn_row& row);

class reconcile_chunker {
public:
  /// Reads the header of `in` (throws report_csv_error when it is bad); `in` must outlive the
  /// chunker. `reconcile_id` names the chunks if there is more than one (1..64 bytes, fresh per
  /// run). A request holds at most `max_rows` rows (1..max_reconcile_rows) and a frame body
  /// of at most `max_frame_bytes` (> reconcile_envelope_bytes + one row).
  reconcile_chunker(std::istream& in, std::string partner, uint64_t period,
                    std::string reconcile_id, size_t max_rows = protocol::max_reconcile_rows,
                    size_t max_frame_bytes = protocol::default_max_frame_bytes);

  /// The next request (op reconcile, rid 0), std::nullopt after the last one. Reads ahead to
  /// tell the last one. Throws report_csv_error on a bad row, client_error when the stream
  /// fails.
  std::optional<protocol::request> next();

  /// Rows in the requests next() returned.
  uint64_t rows_sent() const { return rows_sent_; }

private:
  bool peek();  // a row is waiting in pending_ (read more when none is); false at the end
  protocol::request make(std::vector<protocol::reconcile_row> rows, bool chunked,
                         bool final) const;

  report_csv_reader reader_;
  std::string partner_, reconcile_id_;
  uint64_t period_;
  size_t max_rows_, max_row_bytes_;
  std::vector<ledger::txn_row> pending_;  // rows read and not yet in a request, from pending_at_
  size_t pending_at_ = 0;
  bool first_ = true, done_ = false;
  uint64_t rows_sent_ = 0;
};

/// Reads all of a report to check it, without keeping it; the number of rows. Throws
/// report_csv_error on the first bad row (its line and field), client_error when the stream
/// fails.
uint64_t check_report(std::istream& in);

}  // namespace settle::client
