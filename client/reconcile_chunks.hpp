// A partner's report CSV (report_csv.hpp) as the `reconcile` requests that carry it
// (docs/protocol.md "reconcile", "Chunks"): a report of at most max_reconcile_rows rows goes in
// one request without a reconcile_id; a longer one in chunks of max_reconcile_rows rows under
// one reconcile_id, the last one `final`. Streams: at most two chunks are in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "client/report_csv.hpp"
#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"

namespace settle::client {

class reconcile_chunker {
public:
  /// Reads the header of `in` (throws report_csv_error when it is bad); `in` must outlive the
  /// chunker. `reconcile_id` names the chunks if there is more than one (1..64 bytes, fresh per
  /// run); max_rows (1..max_reconcile_rows) is the rows per request.
  reconcile_chunker(std::istream& in, std::string partner, uint64_t period,
                    std::string reconcile_id, size_t max_rows = protocol::max_reconcile_rows);

  /// The next request (op reconcile, rid 0), std::nullopt after the last one. Reads one chunk
  /// ahead to tell the last one. Throws report_csv_error on a bad row, client_error when the
  /// stream fails.
  std::optional<protocol::request> next();

  /// Report rows read so far (sent, or in the chunk read ahead).
  uint64_t rows_read() const { return reader_.rows_read(); }
  /// Rows in the requests next() returned.
  uint64_t rows_sent() const { return rows_sent_; }

private:
  protocol::request make(const std::vector<ledger::txn_row>& rows, bool chunked,
                         bool final) const;

  report_csv_reader reader_;
  std::string partner_, reconcile_id_;
  uint64_t period_;
  size_t max_rows_;
  std::vector<ledger::txn_row> ahead_;  // the next chunk, once read
  bool ahead_read_ = false;
  bool first_ = true, done_ = false;
  uint64_t rows_sent_ = 0;
};

/// Reads all of a report to check it, without keeping it; the number of rows. Throws
/// report_csv_error on the first bad row (its line and field), client_error when the stream
/// fails.
uint64_t check_report(std::istream& in);

}  // namespace settle::client
