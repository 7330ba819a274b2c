#include "persistence/history_scan.hpp"

#include <algorithm>
#include <string>

#include "persistence/journal_batch.hpp"
#include "persistence/journal_stream.hpp"

namespace settle::persistence {

namespace {

constexpr size_t scan_page = 512;           // stream entries per XRANGE
constexpr int64_t scan_margin_ms = 60'000;  // entry ids and record stamps may differ a little

}  // namespace

std::vector<ledger::history_log> scan_history(redis_connection& c, std::string_view prefix,
                                              uint32_t shards, ledger::history_limits limits,
                                              int64_t now_unix_ms, int64_t offset_ms) {
  std::vector<ledger::history_log> out;
  for (uint32_t s = 0; s < shards; ++s)
    out.emplace_back(limits);
  if (limits.retention_ms <= 0)
    return out;
  const int64_t oldest = now_unix_ms - limits.retention_ms;
  const int64_t from = std::max<int64_t>(0, oldest - offset_ms - scan_margin_ms);
  for (uint32_t s = 0; s < shards; ++s) {
    const auto key = journal_stream_key(prefix, s);
    std::string at = std::to_string(from) + "-0";
    for (;;) {
      auto page = read_stream_page(c, key, at, scan_page);
      for (const auto& bytes : page.batches)
        for (const auto& r : decode_batch(bytes).batch.records)
          if (r.at_unix_ms >= oldest)
            out[s].add_replayed(view_of(r));
      if (page.ids.size() < scan_page)
        break;
      at = "(" + page.ids.back();
    }
  }
  return out;
}

}  // namespace settle::persistence
