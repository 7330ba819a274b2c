#include "persistence/recovery.hpp"

#include <chrono>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include "persistence/journal_batch.hpp"
#include "persistence/read_ahead.hpp"
#include "persistence/redis_connection.hpp"
#include "persistence/snapshot_store.hpp"

namespace settle::persistence {

namespace {

constexpr size_t journal_page = 64;  // batches per XRANGE: a few MB decoded at a time
constexpr int load_attempts = 10;    // tries when a concurrent snapshot moved the head

/// How the replay of one stream ended.
enum class replay_end {
  done,        // folded up to the stream's end (or up to a cut asked for)
  head_moved,  // a newer snapshot trimmed the stream under us: start over from it
};

/// One page of a stream, read, decoded and chain-checked (on the reader thread).
struct checked_page {
  stream_entries entries;              // ids (batches moved out once decoded)
  std::vector<journal_batch> batches;  // the good ones, in order
  chain_report chain;
};

/// verify_chain numbers batches within the page it was given; renumber from the position.
std::string renumber(const std::string& problem, uint32_t shard, size_t in_page,
                     size_t before_page) {
  std::string prefix = "journal shard " + std::to_string(shard) + ", batch ";
  std::string page_prefix = prefix + std::to_string(in_page) + " ";
  if (!problem.starts_with(page_prefix))
    return problem;
  return prefix + std::to_string(before_page + in_page) + problem.substr(page_prefix.size() - 1);
}

/// Everything one stream's replay needs.
struct stream_replay {
  redis_connection& c;
  const redis_address& addr;
  const std::string& head;  // the snapshot's, to tell a concurrent trim from damage
  const load_options& opts;
  load_report& report;
  durable_image& img;
  uint32_t shard;
  std::string key;
  size_t before_page = 0;  // batches of this stream folded so far (after the snapshot)
};

/// Reads the stream from `start` on, a page at a time, on its own connection.
void produce_pages(const redis_address& addr, const std::string& key, uint32_t shard,
                   stream_position start, const std::function<bool(checked_page)>& emit) {
  redis_connection c{addr};
  std::string from = start.last_entry_id.empty() ? "-" : "(" + start.last_entry_id;
  uint64_t hash = start.last_hash, seq = start.next_seq;
  for (;;) {
    checked_page p;
    p.entries = read_stream_page(c, key, from, journal_page);
    p.chain = verify_chain(shard, p.entries.batches, p.batches, hash, seq);
    p.entries.batches = {};  // decoded now: the bytes are not needed any more
    hash = p.chain.last_hash;
    seq += p.batches.size();
    bool last = !p.chain.ok || p.entries.ids.size() < journal_page;
    if (!last)
      from = "(" + p.entries.ids.back();
    if (!emit(std::move(p)) || last)
      return;
  }
}

/// Folds the good batches of a page into the image and advances the stream's position.
void fold_page(stream_replay& r, const checked_page& page) {
  auto& pos = r.img.positions[r.shard];
  for (size_t i = 0; i < page.batches.size(); ++i) {
    const auto& batch = page.batches[i];
    for (const auto& record : batch.records) {
      try {
        fold(r.img, r.shard, record);
      } catch (const std::runtime_error& e) {
        // The fold's message, with where the record is.
        throw std::runtime_error("journal shard " + std::to_string(r.shard) + ", batch " +
                                 std::to_string(r.before_page + i) + " (sequence " +
                                 std::to_string(batch.seq) + ", stream entry " +
                                 page.entries.ids[i] + "): " + e.what());
      }
    }
    pos.next_seq = batch.seq + 1;
    pos.last_entry_id = page.entries.ids[i];
    r.report.records += batch.records.size();
  }
  pos.last_hash = page.chain.last_hash;
  r.report.batches += page.batches.size();
  r.before_page += page.batches.size();
}

/// The page's chain broke: damage, unless a newer snapshot trimmed the stream meanwhile.
/// Refused, or cut when the operator asked for it.
replay_end on_broken_chain(stream_replay& r, const checked_page& page) {
  size_t folded_before = r.before_page - page.batches.size();
  const std::string& bad_entry = page.entries.ids[page.chain.good_batches];
  std::string problem = renumber(page.chain.problem, r.shard, page.chain.good_batches,
                                 folded_before) +
                        " (stream entry " + bad_entry + ")";
  if (read_snapshot_head(r.c) != r.head)
    return replay_end::head_moved;
  if (!r.opts.stop_at_last_good)
    throw std::runtime_error(problem);
  size_t cut = cut_stream(r.c, r.key, bad_entry);
  if (!r.report.truncated.empty())
    r.report.truncated += "; ";
  r.report.truncated += "journal shard " + std::to_string(r.shard) + ": cut " +
                        std::to_string(cut) + " batch(es) from stream entry " + bad_entry +
                        " on, because " + problem;
  return replay_end::done;
}

replay_end replay_stream(stream_replay& r) {
  // Pages are read and decoded ahead, on their own connection, while this thread folds.
  read_ahead<checked_page> pages{
      [&addr = r.addr, &key = r.key, shard = r.shard,
       start = r.img.positions[r.shard]](const auto& emit) {
        produce_pages(addr, key, shard, start, emit);
      }};
  for (;;) {
    auto page = pages.next();
    if (!page)
      return replay_end::done;
    fold_page(r, *page);
    if (!page->chain.ok)
      return on_broken_chain(r, *page);
  }
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

/// One attempt: the snapshot the head names, then every stream after it. nullopt when a newer
/// snapshot replaced it meanwhile.
std::optional<durable_image> try_load(redis_connection& c, const redis_address& addr,
                                      uint32_t shards, const load_options& opts,
                                      load_report& report) {
  report = load_report{};
  auto t0 = std::chrono::steady_clock::now();
  std::string head = read_snapshot_head(c);
  auto img = read_snapshot(addr, head, shards);
  if (!img)
    return std::nullopt;
  for (const auto& a : img->accounts)
    report.snapshot_accounts += a.size();
  report.snapshot_ids = img->ids.size();
  report.snapshot_ms = ms_since(t0);
  auto t1 = std::chrono::steady_clock::now();
  for (uint32_t s = 0; s < shards; ++s) {
    stream_replay r{c, addr, head, opts, report, *img, s,
                    journal_stream_key(opts.stream_prefix, s)};
    if (replay_stream(r) == replay_end::head_moved)
      return std::nullopt;
  }
  report.replay_ms = ms_since(t1);
  return img;
}

}  // namespace

durable_image load_image(const redis_address& addr, uint32_t shards, const load_options& opts,
                         load_report& report) {
  if (shards == 0)
    throw std::invalid_argument("the ledger needs at least one shard");
  redis_connection c{addr};
  check_meta(c, shards);
  for (int attempt = 0; attempt < load_attempts; ++attempt)
    if (auto img = try_load(c, addr, shards, opts, report))
      return std::move(*img);
  throw std::runtime_error("the snapshot kept changing while it was loaded; try again");
}

}  // namespace settle::persistence
