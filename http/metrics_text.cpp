#include "http/metrics_text.hpp"

#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

namespace settle::http {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

ClientMetric labelled(std::vector<ClientMetric::Label> labels) {
  ClientMetric m;
  m.label = std::move(labels);
  return m;
}

MetricFamily single(std::string name, std::string help, MetricType type, double value) {
  auto f = family(std::move(name), std::move(help), type);
  ClientMetric m;
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  f.metric.push_back(std::move(m));
  return f;
}

/// A histogram sample: cumulative buckets at bounds * scale, then +Inf.
template <class H>
ClientMetric histogram_of(const H& h, double scale, std::vector<ClientMetric::Label> labels) {
  const auto snap = h.snapshot();
  ClientMetric m = labelled(std::move(labels));
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += snap.counts[i];
    m.histogram.bucket.push_back({cumulative, static_cast<double>(h.bounds()[i]) * scale});
  }
  cumulative += snap.counts.back();
  m.histogram.bucket.push_back({cumulative, std::numeric_limits<double>::infinity()});
  m.histogram.sample_count = cumulative;
  m.histogram.sample_sum = static_cast<double>(snap.sum) * scale;
  return m;
}

MetricFamily transactions(const metrics::engine_metrics& m) {
  auto f = family("settle_transactions_total",
                  "Transactions answered, by kind and result (applied, duplicate, noop or the "
                  "error code)",
                  MetricType::Counter);
  for (size_t k = 0; k < metrics::txn_kinds; ++k)
    for (size_t r = 0; r < metrics::txn_results; ++r) {
      const uint64_t n = m.transactions[k][r].load(std::memory_order_relaxed);
      if (n == 0 && r > 2)
        continue;  // errors appear once they happen; the three outcomes always
      auto c = labelled(
          {{"kind", std::string{protocol::to_string(static_cast<protocol::txn_kind>(k))}},
           {"result", std::string{metrics::result_label(r)}}});
      c.counter.value = static_cast<double>(n);
      f.metric.push_back(std::move(c));
    }
  return f;
}

MetricFamily request_durations(const metrics::engine_metrics& m) {
  auto f = family("settle_request_duration_seconds",
                  "From a request's frame read to its answer written, by op",
                  MetricType::Histogram);
  for (size_t op = 0; op < metrics::op_kinds; ++op) {
    const auto& h = m.request_duration_us[op];
    if (h.snapshot().count() == 0)
      continue;  // ops never asked stay out of the page
    f.metric.push_back(histogram_of(
        h, 1e-6, {{"op", std::string{protocol::to_string(static_cast<protocol::op_kind>(op))}}}));
  }
  return f;
}

std::vector<MetricFamily> scraped(const metrics::engine_metrics& m) {
  std::vector<MetricFamily> out;
  for (const auto& g : m.scraped()) {
    MetricFamily* f = nullptr;
    for (auto& existing : out)
      if (existing.name == g.name)
        f = &existing;
    if (f == nullptr) {
      out.push_back(family(g.name, g.help, g.counter ? MetricType::Counter : MetricType::Gauge));
      f = &out.back();
    }
    ClientMetric c;
    if (!g.label_name.empty())
      c.label.push_back({g.label_name, g.label_value});
    (g.counter ? c.counter.value : c.gauge.value) = g.read();
    f->metric.push_back(std::move(c));
  }
  return out;
}

}  // namespace

process_memory read_process_memory() {
  process_memory out;
  std::ifstream statm{"/proc/self/statm"};
  uint64_t size_pages = 0, resident_pages = 0;
  if (statm >> size_pages >> resident_pages) {
    const auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    out.virtual_bytes = size_pages * page;
    out.resident_bytes = resident_pages * page;
  }
  return out;
}

std::string metrics_text(const metrics::engine_metrics& m) {
  std::vector<MetricFamily> families;
  families.push_back(transactions(m));
  families.push_back(request_durations(m));
  {
    auto f = family("settle_journal_batch_records", "Records per journal round trip",
                    MetricType::Histogram);
    f.metric.push_back(histogram_of(m.journal_batch_records, 1.0, {}));
    families.push_back(std::move(f));
  }
  {
    auto f = family("settle_journal_write_seconds", "Duration of one journal round trip",
                    MetricType::Histogram);
    f.metric.push_back(histogram_of(m.journal_write_us, 1e-6, {}));
    families.push_back(std::move(f));
  }
  auto load = [](const auto& a) { return static_cast<double>(a.load(std::memory_order_relaxed)); };
  families.push_back(single("settle_redis_errors_total",
                            "Redis round trips that failed or were not answered in time",
                            MetricType::Counter, load(m.redis_errors)));
  families.push_back(single("settle_journal_healthy",
                            "1 when the journal's last round trip landed, else 0",
                            MetricType::Gauge, m.journal_healthy.load() ? 1 : 0));
  families.push_back(single("settle_accounts", "Accounts held by the ledger shards",
                            MetricType::Gauge, load(m.accounts)));
  families.push_back(single("settle_subscribers", "Live subscriptions", MetricType::Gauge,
                            load(m.subscribers)));
  families.push_back(single("settle_alerts_firing",
                            "Alerts raised and not resolved ([[alerts]] rules and supplier credit)",
                            MetricType::Gauge,
                            load(m.credit_alerts_firing) + load(m.rule_alerts_firing)));
  families.push_back(single("settle_subscribers_dropped_total",
                            "Subscriber streams the engine closed (too slow, or the publisher fell "
                            "behind)",
                            MetricType::Counter, load(m.subscribers_dropped)));
  for (auto& g : scraped(m))
    families.push_back(std::move(g));
  const auto mem = read_process_memory();
  families.push_back(single("process_resident_memory_bytes", "Resident memory size in bytes",
                            MetricType::Gauge, static_cast<double>(mem.resident_bytes)));
  families.push_back(single("process_virtual_memory_bytes", "Virtual memory size in bytes",
                            MetricType::Gauge, static_cast<double>(mem.virtual_bytes)));
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, families);
  return out.str();
}

}  // namespace settle::http
