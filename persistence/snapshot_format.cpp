#include "persistence/snapshot_format.hpp"

#include <string_view>
#include <utility>

#include "base/invariant.hpp"
#include "ledger/content_hash.hpp"

namespace settle::persistence {

namespace {

using snapshot_detail::item;

constexpr size_t chunk_header_room = 64;  // the frame and checksum around the items

struct string_sink {
  std::string& out;
  void write(const char* p, size_t n) { out.append(p, n); }
};
using packer = msgpack::packer<string_sink>;

void pack_str(packer& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

void pack_tag(packer& pk, item tag, uint32_t fields) {
  pk.pack_array(fields + 1);
  pk.pack(static_cast<uint8_t>(tag));
}

/// Collects items into chunks and hands each one to the sink as soon as it is full.
class chunk_writer {
public:
  chunk_writer(uint64_t gen, const chunk_sink& sink, size_t chunk_bytes_max)
      : gen_(gen), sink_(sink), max_(chunk_bytes_max) {}

  /// A packer for the next item; call add() when it is complete.
  packer& item() {
    scratch_.clear();
    return pk_;
  }
  void add() {
    if (items_ > 0 && body_.size() + scratch_.size() + chunk_header_room > max_)
      flush();
    body_ += scratch_;
    ++items_;
  }
  void flush() {
    std::string chunk;
    chunk.reserve(body_.size() + chunk_header_room);
    string_sink out{chunk};
    packer pk{out};
    pk.pack_array(5);
    pk.pack(snapshot_format);
    pk.pack(gen_);
    pk.pack(chunks_);
    pk.pack_array(items_);
    chunk += body_;
    pk.pack_fix_uint64(ledger::content_hash(chunk));
    sink_(std::move(chunk));
    ++chunks_;
    body_.clear();
    items_ = 0;
  }
  uint32_t chunks() const { return chunks_; }

private:
  uint64_t gen_;
  const chunk_sink& sink_;
  size_t max_;
  std::string body_, scratch_;
  string_sink scratch_sink_{scratch_};
  packer pk_{scratch_sink_};
  uint32_t items_ = 0, chunks_ = 0;
};

void write_header(chunk_writer& w, const durable_image& img) {
  auto& pk = w.item();
  pack_tag(pk, item::header, 6);
  pk.pack(img.shards);
  pk.pack_array(img.shards);
  for (const auto& p : img.positions) {
    pk.pack_array(3);
    pk.pack(p.next_seq);
    pk.pack(p.last_hash);
    pack_str(pk, p.last_entry_id);
  }
  // Counts up front let the loader size its tables; the trailer repeats them.
  pk.pack_array(img.shards);
  for (const auto& shard : img.accounts)
    pk.pack(static_cast<uint64_t>(shard.size()));
  pk.pack(static_cast<uint64_t>(img.ids.size()));
  pk.pack(static_cast<uint64_t>(img.clearing.size()));
  pk.pack(static_cast<uint64_t>(img.transfers.size()));
  w.add();
}

/// Partner marks go by name (bits are per process): the account's bits, then its spill.
void write_accounts(chunk_writer& w, const durable_image& img, uint32_t s) {
  absl::flat_hash_map<std::string_view, std::vector<std::string_view>> spilled;
  for (const auto& key : img.partner_spill[s]) {
    auto sep = key.find('\0');
    spilled[std::string_view{key}.substr(sep + 1)].push_back(
        std::string_view{key}.substr(0, sep));
  }
  for (const auto& [id, a] : img.accounts[s]) {
    auto& pk = w.item();
    pack_tag(pk, item::account, 8);
    pk.pack(s);
    pack_str(pk, id);
    pk.pack(a.balance);
    pk.pack(a.version);
    pk.pack(a.currency);
    pk.pack(static_cast<uint8_t>(a.kind));
    pk.pack(static_cast<uint8_t>(a.status));
    auto partners = ledger::partners_in_bits(a);
    auto more = spilled.find(id);
    size_t extra = more == spilled.end() ? 0 : more->second.size();
    pk.pack_array(static_cast<uint32_t>(partners.size() + extra));
    for (const auto& p : partners)
      pack_str(pk, p);
    for (size_t k = 0; k < extra; ++k)
      pack_str(pk, more->second[k]);
    w.add();
  }
}

void write_ids(chunk_writer& w, const durable_image& img) {
  for (const auto& [key, e] : img.ids) {
    auto& pk = w.item();
    pack_tag(pk, item::id, 13);
    pk.pack(key.hi);
    pk.pack(key.lo);
    pk.pack(e.fingerprint);
    pk.pack(e.created_at_s);
    pk.pack(e.amount);
    pk.pack(e.balance);
    pk.pack(e.version);
    pack_str(pk, e.account);
    pk.pack(e.currency);
    pk.pack(static_cast<uint8_t>(e.state));
    pk.pack(static_cast<uint8_t>(e.kind));
    pk.pack(static_cast<uint8_t>(e.outcome));
    pk.pack(e.rolled_back);
    w.add();
  }
}

void write_clearing(chunk_writer& w, const durable_image& img) {
  for (const auto& [key, a] : img.clearing) {
    auto& pk = w.item();
    pack_tag(pk, item::clearing, 10);
    pack_str(pk, key.first);
    pk.pack(key.second);
    pk.pack(a.balance);
    pk.pack(a.version);
    pk.pack(a.bets);
    pk.pack(a.wins);
    pk.pack(a.rollbacks);
    pk.pack(a.bet_count);
    pk.pack(a.win_count);
    pk.pack(a.rollback_count);
    w.add();
  }
}

void write_transfers(chunk_writer& w, const durable_image& img) {
  for (const auto& [key, t] : img.transfers) {
    auto& pk = w.item();
    pack_tag(pk, item::transfer, 10);
    pack_str(pk, key);
    pack_str(pk, t.source);
    pack_str(pk, t.target);
    pack_str(pk, t.currency);
    pk.pack(t.amount);
    pack_str(pk, t.txn_id);
    pk.pack(t.fingerprint);
    pk.pack(t.at_unix_ms);
    pk.pack(t.debit_seen);
    pk.pack(t.credit_seen);
    w.add();
  }
}

void write_trailer(chunk_writer& w, const durable_image& img) {
  uint64_t accounts = 0;
  for (const auto& shard : img.accounts)
    accounts += shard.size();
  auto& pk = w.item();
  pack_tag(pk, item::trailer, 4);
  pk.pack(accounts);
  pk.pack(static_cast<uint64_t>(img.ids.size()));
  pk.pack(static_cast<uint64_t>(img.clearing.size()));
  pk.pack(static_cast<uint64_t>(img.transfers.size()));
  w.add();
}

}  // namespace

uint32_t encode_snapshot(const durable_image& img, uint64_t gen, const chunk_sink& sink,
                         size_t chunk_bytes_max) {
  if (img.shards == 0 || img.accounts.size() != img.shards ||
      img.positions.size() != img.shards || img.partner_spill.size() != img.shards)
    throw std::invalid_argument("the image's shard count does not match its tables");
  // Invariant: the ledger sums to zero right before it is written (and right after it is
  // read, in snapshot_decoder::finish).
  std::string sum = check_zero_sum(img);
  SETTLE_ASSERT(sum.empty(), "snapshot generation " + std::to_string(gen) + ": " + sum);
  chunk_writer w{gen, sink, chunk_bytes_max};
  write_header(w, img);
  for (uint32_t s = 0; s < img.shards; ++s)
    write_accounts(w, img, s);
  write_ids(w, img);
  write_clearing(w, img);
  write_transfers(w, img);
  write_trailer(w, img);
  w.flush();
  return w.chunks();
}

std::vector<std::string> encode_snapshot(const durable_image& img, uint64_t gen,
                                         size_t chunk_bytes_max) {
  std::vector<std::string> out;
  encode_snapshot(img, gen, [&out](std::string c) { out.push_back(std::move(c)); },
                  chunk_bytes_max);
  return out;
}

}  // namespace settle::persistence
