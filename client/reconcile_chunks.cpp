#include "client/reconcile_chunks.hpp"

#include <memory>
#include <utility>

#include "base/invariant.hpp"
#include "ledger/currency.hpp"

namespace settle::client {

namespace {

// Rows read from the CSV at a time (fewer than a request's: the bytes may cut a request first).
constexpr size_t read_block_rows = 1000;

}  // namespace

size_t reconcile_row_bytes(const ledger::txn_row& row) {
  // {"id": ID, "kind": KIND, "amount": N, "currency": CUR}: a map header, 4 keys, 3 strings
  // (the longest kind is "rollback") and an integer, each header at its largest msgpack form.
  constexpr size_t map_header = 5, str_header = 5, int64_bytes = 9;
  constexpr size_t keys = 2 + 4 + 6 + 8, kind = 8, currency = 3;
  return map_header + 7 * str_header + keys + row.id.size() + kind + currency + int64_bytes;
}

reconcile_chunker::reconcile_chunker(std::istream& in, std::string partner, uint64_t period,
                                     std::string reconcile_id, size_t max_rows,
                                     size_t max_frame_bytes)
    : reader_(in), partner_(std::move(partner)), reconcile_id_(std::move(reconcile_id)),
      period_(period), max_rows_(max_rows),
      max_row_bytes_(max_frame_bytes - reconcile_envelope_bytes) {
  SETTLE_ASSERT(max_rows_ > 0 && max_rows_ <= protocol::max_reconcile_rows,
                "a reconcile request holds 1..max_reconcile_rows rows");
  SETTLE_ASSERT(max_frame_bytes > reconcile_envelope_bytes + 200,
                "a frame must have room for the envelope and the longest row");
  SETTLE_ASSERT(!reconcile_id_.empty(), "chunks need a reconcile_id");
}

bool reconcile_chunker::peek() {
  if (pending_at_ < pending_.size())
    return true;
  pending_at_ = 0;
  return reader_.next_chunk(pending_, read_block_rows);
}

std::optional<protocol::request> reconcile_chunker::next() {
  if (done_)
    return std::nullopt;
  std::vector<protocol::reconcile_row> rows;
  size_t bytes = 0;
  while (rows.size() < max_rows_ && peek()) {
    const ledger::txn_row& row = pending_[pending_at_];
    const size_t row_bytes = reconcile_row_bytes(row);
    if (bytes + row_bytes > max_row_bytes_)
      break;  // never before the first row: the constructor left room for the longest
    rows.push_back({row.id, row.kind, row.amount, ledger::currency_text(row.currency)});
    bytes += row_bytes;
    ++pending_at_;
  }
  const bool more = peek();  // reads ahead only when this request is full
  const bool chunked = !first_ || more;
  first_ = false;
  done_ = !more;
  rows_sent_ += rows.size();
  return make(std::move(rows), chunked, !more);
}

protocol::request reconcile_chunker::make(std::vector<protocol::reconcile_row> rows,
                                          bool chunked, bool final) const {
  auto s = std::make_shared<protocol::settlement_request>();
  s->period = period_;
  s->final = final;
  if (chunked)
    s->reconcile_id = reconcile_id_;
  s->rows = std::move(rows);
  protocol::request r;
  r.op = protocol::op_kind::reconcile;
  r.partner = partner_;
  r.settlement = std::move(s);
  return r;
}

uint64_t check_report(std::istream& in) {
  report_csv_reader reader{in};
  std::vector<ledger::txn_row> rows;
  while (reader.next_chunk(rows, read_block_rows)) {
  }
  return reader.rows_read();
}

}  // namespace settle::client
