// Micro-benchmarks of reconciliation (issue 12): a period of 1,000,000 engine rows against a
// partner's report of 1,000,000 rows with ~3% differences of every kind, fed in the chunks
// settlectl sends; and the client's parse of a 1,000,000-row report CSV from memory.
// Run: ./build/bench/micro/settle-micro-reconcile [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "client/report_csv.hpp"
#include "ledger/reconcile.hpp"

namespace {

using namespace settle;
using protocol::txn_kind;

constexpr size_t period_rows = 1'000'000;
constexpr size_t chunk_rows = 10'000;  // rows per add_report / next_chunk

/// The engine's period and a partner's report of it: per 100 rows, about one unreported, one
/// mismatched (amount, kind or currency in turn) and one only the partner has; shuffled.
struct period {
  std::vector<ledger::txn_row> engine, report;
  period() {
    const txn_kind kinds[] = {txn_kind::bet, txn_kind::win, txn_kind::rollback};
    const ledger::currency_code currencies[] = {ledger::pack_currency("EUR"),
                                                ledger::pack_currency("USD")};
    std::mt19937_64 rng{12};
    engine.reserve(period_rows);
    report.reserve(period_rows);
    for (size_t i = 0; i < period_rows; ++i) {
      ledger::txn_row row{fmt::format("r1t{}-{}", i % 4, i), kinds[i % 3],
                          static_cast<int64_t>(100 + i % 9'973), currencies[i % 2]};
      engine.push_back(row);
      switch (rng() % 100) {
        case 0: continue;  // never reported
        case 1: row.amount += 1; break;
        case 2: row.kind = row.kind == txn_kind::bet ? txn_kind::win : txn_kind::bet; break;
        case 3: row.currency = ledger::pack_currency("GBP"); break;
        case 4: row.id = fmt::format("partner-only-{}", i); break;
        default: break;
      }
      report.push_back(std::move(row));
    }
    std::shuffle(engine.begin(), engine.end(), rng);
    std::shuffle(report.begin(), report.end(), rng);
  }
};

const period& the_period() {
  static const period p;
  return p;
}

/// The report as the CSV a partner sends.
const std::string& the_csv() {
  static const std::string text = [] {
    std::string out = "id,kind,amount,currency\n";
    for (const auto& r : the_period().report)
      out += fmt::format("{},{},{},{}\n", r.id, protocol::to_string(r.kind), r.amount,
                         ledger::currency_text(r.currency));
    return out;
  }();
  return text;
}

/// The engine side of a `reconcile`: take the period's rows, then the report chunk by chunk.
void BM_reconcile_1M_against_1M(benchmark::State& state) {
  const auto& p = the_period();
  std::vector<std::vector<ledger::txn_row>> chunks;
  for (size_t at = 0; at < p.report.size(); at += chunk_rows) {
    const size_t stop = std::min(p.report.size(), at + chunk_rows);
    chunks.emplace_back(p.report.begin() + static_cast<std::ptrdiff_t>(at),
                        p.report.begin() + static_cast<std::ptrdiff_t>(stop));
  }
  ledger::reconcile_result r;
  for (auto _ : state) {
    state.PauseTiming();
    auto engine = p.engine;  // the copy is the benchmark's, not reconciliation's
    state.ResumeTiming();
    ledger::reconciler rec{std::move(engine)};
    for (const auto& c : chunks)
      rec.add_report(c);
    r = rec.finish();
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * p.report.size()));
  state.counters["matched"] = static_cast<double>(r.matched);
  state.counters["mismatched"] = static_cast<double>(r.mismatched_count);
  state.counters["missing_in_engine"] = static_cast<double>(r.missing_in_engine_count);
  state.counters["missing_in_report"] = static_cast<double>(r.missing_in_report_count);
}
BENCHMARK(BM_reconcile_1M_against_1M)->Unit(benchmark::kMillisecond);

/// The client side: parse the 1M-row CSV into chunks, as settlectl reads a report file.
void BM_parse_report_csv_1M(benchmark::State& state) {
  const auto& text = the_csv();
  uint64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::istringstream in{text};
    state.ResumeTiming();
    client::report_csv_reader reader{in};
    std::vector<ledger::txn_row> chunk;
    while (reader.next_chunk(chunk, chunk_rows))
      benchmark::DoNotOptimize(chunk.data());
    rows = reader.rows_read();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_parse_report_csv_1M)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
