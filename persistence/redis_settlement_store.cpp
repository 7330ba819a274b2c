// The settlement store on Redis: the settlement stream (XADD, field "b", like the journal),
// statements and rows as plain keys, and the journal scan of a close.
#include <cstring>
#include <stdexcept>

#include "base/invariant.hpp"
#include "base/wall_clock.hpp"
#include "persistence/journal_batch.hpp"
#include "persistence/journal_stream.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/settlement_records.hpp"
#include "persistence/settlement_store.hpp"
#include "persistence/settlement_stream.hpp"

namespace settle::persistence {

namespace {

constexpr size_t scan_page = 512;  // stream entries per XRANGE of a scan

std::string period_key(std::string_view kind, std::string_view partner, uint64_t period) {
  return "settle:" + std::string{kind} + ":" + std::string{partner} + ":" +
         std::to_string(period);
}

template <class T>
void put_raw(std::string& out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out.append(buf, sizeof(T));
}

template <class T>
T take_raw(std::string_view& in) {
  if (in.size() < sizeof(T))
    throw std::runtime_error("period rows: truncated");
  T v;
  std::memcpy(&v, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return v;
}

class redis_settlement_store final : public settlement_store {
public:
  redis_settlement_store(const redis_address& addr, redis_settlement_options opts)
      : conn_(addr), opts_(std::move(opts)), stream_key_(opts_.stream_prefix + "settlement") {}

  std::vector<ledger::settlement_record> load() override {
    std::vector<ledger::settlement_record> out;
    for (const auto& bytes : read_settlement_stream(conn_, stream_key_))
      out.push_back(decode_settlement_record(bytes));
    return out;
  }

  void append(const ledger::settlement_record& r) override {
    append_settlement(conn_, stream_key_, encode_settlement_record(r));
  }

  void scan(ledger::period_collector& c) override {
    // Entry ids are Redis's clock; record stamps the engine's, which may be offset.
    const int64_t from = std::max<int64_t>(
        0, c.earliest_from_unix_ms() - wall_clock_offset_ms().load() - opts_.scan_margin_ms);
    std::vector<journal_record> records;
    for (uint32_t s = 0; s < opts_.shards; ++s) {
      const auto key = journal_stream_key(opts_.stream_prefix, s);
      std::string at = std::to_string(from) + "-0";
      for (;;) {
        auto page = read_stream_page(conn_, key, at, scan_page);
        for (const auto& bytes : page.batches)
          for (const auto& r : decode_batch(bytes).batch.records)
            c.add(r);
        if (page.ids.size() < scan_page)
          break;
        at = "(" + page.ids.back();
      }
    }
  }

  void put_period(const ledger::statement& st, const std::vector<ledger::txn_row>& rows) override {
    const auto& t = st.terms;
    put_value(conn_, period_key("rows", t.partner, t.period), encode_rows(rows));
    put_value(conn_, period_key("statement", t.partner, t.period),
              encode_settlement_record(ledger::close_record{st}));
  }

  std::vector<ledger::txn_row> rows(std::string_view partner, uint64_t period) override {
    auto key = period_key("rows", partner, period);
    auto bytes = get_value(conn_, key);
    if (!bytes)
      throw std::runtime_error("the rows of period " + std::to_string(period) + " of '" +
                               std::string{partner} + "' are missing (" + key + ")");
    return decode_rows(*bytes);
  }

private:
  redis_connection conn_;
  redis_settlement_options opts_;
  std::string stream_key_;
};

}  // namespace

ledger::settlement_book load_settlement(settlement_store& store) {
  ledger::settlement_book book;
  auto records = store.load();
  for (size_t i = 0; i < records.size(); ++i)
    if (auto wrong = book.apply(records[i]); !wrong.empty())
      throw std::runtime_error("settlement stream record " + std::to_string(i + 1) + " of " +
                               std::to_string(records.size()) + " does not apply: " + wrong);
  return book;
}

std::unique_ptr<settlement_store> make_redis_settlement_store(const redis_address& addr,
                                                              redis_settlement_options opts) {
  return std::make_unique<redis_settlement_store>(addr, std::move(opts));
}

// Rows: "SR1", a u64 count, then per row: u8 kind, i64 amount, u32 currency, u8 id length, id.
// Hand-written rather than msgpack: a million rows are one flat buffer, read in one pass.
std::string encode_rows(const std::vector<ledger::txn_row>& rows) {
  std::string out = "SR1";
  out.reserve(3 + 8 + rows.size() * 32);
  put_raw<uint64_t>(out, rows.size());
  for (const auto& r : rows) {
    SETTLE_ASSERT(r.id.size() <= 255, "a transaction id longer than 255 bytes");
    put_raw<uint8_t>(out, static_cast<uint8_t>(r.kind));
    put_raw<int64_t>(out, r.amount);
    put_raw<uint32_t>(out, static_cast<uint32_t>(r.currency));
    put_raw<uint8_t>(out, static_cast<uint8_t>(r.id.size()));
    out.append(r.id);
  }
  return out;
}

std::vector<ledger::txn_row> decode_rows(std::string_view in) {
  if (in.substr(0, 3) != "SR1")
    throw std::runtime_error("period rows: not a rows record");
  in.remove_prefix(3);
  const auto count = take_raw<uint64_t>(in);
  if (count > in.size() / 14)  // every row takes at least 14 bytes
    throw std::runtime_error("period rows: a count past the bytes");
  std::vector<ledger::txn_row> out;
  out.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    ledger::txn_row r;
    const auto kind = take_raw<uint8_t>(in);
    if (!ledger::is_reported_kind(static_cast<protocol::txn_kind>(kind)))
      throw std::runtime_error("period rows: a row of kind " + std::to_string(kind));
    r.kind = static_cast<protocol::txn_kind>(kind);
    r.amount = take_raw<int64_t>(in);
    r.currency = static_cast<ledger::currency_code>(take_raw<uint32_t>(in));
    const auto len = take_raw<uint8_t>(in);
    if (in.size() < len)
      throw std::runtime_error("period rows: truncated");
    r.id.assign(in.substr(0, len));
    in.remove_prefix(len);
    out.push_back(std::move(r));
  }
  if (!in.empty())
    throw std::runtime_error("period rows: bytes after the last row");
  return out;
}

}  // namespace settle::persistence
