#include "client/reconcile_chunks.hpp"

#include <memory>
#include <utility>

#include "base/invariant.hpp"
#include "ledger/currency.hpp"

namespace settle::client {

reconcile_chunker::reconcile_chunker(std::istream& in, std::string partner, uint64_t period,
                                     std::string reconcile_id, size_t max_rows)
    : reader_(in), partner_(std::move(partner)), reconcile_id_(std::move(reconcile_id)),
      period_(period), max_rows_(max_rows) {
  SETTLE_ASSERT(max_rows_ > 0 && max_rows_ <= protocol::max_reconcile_rows,
                "a reconcile chunk holds 1..max_reconcile_rows rows");
  SETTLE_ASSERT(!reconcile_id_.empty(), "chunks need a reconcile_id");
}

std::optional<protocol::request> reconcile_chunker::next() {
  if (done_)
    return std::nullopt;
  std::vector<ledger::txn_row> rows;
  if (ahead_read_) {
    rows.swap(ahead_);
    ahead_read_ = false;
  } else {
    reader_.next_chunk(rows, max_rows_);
  }
  // A full chunk may have more after it: read the next one now to know whether this is the
  // last (a short chunk is the end of the report).
  bool more = false;
  if (rows.size() == max_rows_) {
    ahead_read_ = true;
    more = reader_.next_chunk(ahead_, max_rows_);
  }
  const bool chunked = !first_ || more;
  first_ = false;
  done_ = !more;
  rows_sent_ += rows.size();
  return make(rows, chunked, !more);
}

protocol::request reconcile_chunker::make(const std::vector<ledger::txn_row>& rows,
                                          bool chunked, bool final) const {
  auto s = std::make_shared<protocol::settlement_request>();
  s->period = period_;
  s->final = final;
  if (chunked)
    s->reconcile_id = reconcile_id_;
  s->rows.reserve(rows.size());
  for (const auto& row : rows)
    s->rows.push_back({row.id, row.kind, row.amount, ledger::currency_text(row.currency)});
  protocol::request r;
  r.op = protocol::op_kind::reconcile;
  r.partner = partner_;
  r.settlement = std::move(s);
  return r;
}

uint64_t check_report(std::istream& in) {
  report_csv_reader reader{in};
  std::vector<ledger::txn_row> rows;
  while (reader.next_chunk(rows, protocol::max_reconcile_rows)) {
  }
  return reader.rows_read();
}

}  // namespace settle::client
