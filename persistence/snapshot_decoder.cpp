// Reading snapshots: the checksum and frame of each chunk, then its items, with every check
// (the format is described in snapshot_format.hpp).
#include <exception>
#include <string_view>
#include <utility>

#include "base/invariant.hpp"
#include "ledger/content_hash.hpp"
#include "persistence/snapshot_format.hpp"

namespace settle::persistence {

namespace {

using snapshot_detail::item;

std::string chunk_name(uint64_t gen, uint32_t index) {
  return "generation " + std::to_string(gen) + ", chunk " + std::to_string(index);
}

[[noreturn]] void damaged(const std::string& where, const std::string& why) {
  throw snapshot_format_error("snapshot " + where + ": " + why);
}

/// Reads the fields of one msgpack array in order; throws on any type mismatch.
class item_fields {
public:
  /// `where` names the chunk, `item` the item in it, `part` a part of the item; the text is
  /// built only for an error (there are millions of items).
  item_fields(const msgpack::object& o, const std::string& where, uint32_t item = no_item,
              const char* part = nullptr)
      : where_(where), item_(item), part_(part) {
    if (o.type != msgpack::type::ARRAY)
      bad("not an array");
    p_ = o.via.array.ptr;
    n_ = o.via.array.size;
  }
  uint32_t size() const { return n_; }
  const msgpack::object& next() {
    if (i_ >= n_)
      bad("too few fields");
    return p_[i_++];
  }
  std::string str() {
    const auto& o = next();
    if (o.type != msgpack::type::STR)
      bad("field " + std::to_string(i_ - 1) + " is not a string");
    return {o.via.str.ptr, o.via.str.size};
  }
  template <class Int>
  Int num() {
    const auto& o = next();
    try {
      return o.as<Int>();
    } catch (const std::exception&) {
      bad("field " + std::to_string(i_ - 1) + " is not a fitting number");
    }
  }
  bool flag() {
    const auto& o = next();
    if (o.type != msgpack::type::BOOLEAN)
      bad("field " + std::to_string(i_ - 1) + " is not a boolean");
    return o.via.boolean;
  }
  template <class Enum>
  Enum enumerator(Enum last) {
    auto v = num<uint8_t>();
    if (v > static_cast<uint8_t>(last))
      bad("field " + std::to_string(i_ - 1) + " is out of range");
    return static_cast<Enum>(v);
  }
  void done() {
    if (i_ != n_)
      bad("too many fields");
  }
  [[noreturn]] void bad(const std::string& why) const {
    std::string at = where_;
    if (item_ != no_item)
      at += ", item " + std::to_string(item_);
    if (part_ != nullptr)
      at += std::string{", "} + part_;
    damaged(at, why);
  }
  const std::string& where() const { return where_; }
  uint32_t item_index() const { return item_; }
  static constexpr uint32_t no_item = UINT32_MAX;

private:
  const std::string& where_;
  uint32_t item_;
  const char* part_;
  const msgpack::object* p_ = nullptr;
  uint32_t n_ = 0, i_ = 0;
};

}  // namespace

opened_chunk open_chunk(std::string_view bytes, uint64_t gen, uint32_t index) {
  std::string where = chunk_name(gen, index);
  constexpr size_t hash_bytes = snapshot_detail::hash_bytes;
  if (bytes.size() <= hash_bytes)
    damaged(where, "truncated");
  // The checksum first, read straight from the last 9 bytes: nothing of a damaged chunk is
  // interpreted.
  if (static_cast<uint8_t>(bytes[bytes.size() - hash_bytes]) != 0xcf)
    damaged(where, "no checksum at the end");
  uint64_t stored_hash = 0;
  for (size_t k = bytes.size() - 8; k < bytes.size(); ++k)
    stored_hash = (stored_hash << 8) | static_cast<uint8_t>(bytes[k]);
  if (stored_hash != ledger::content_hash(bytes.substr(0, bytes.size() - hash_bytes)))
    damaged(where, "checksum mismatch");
  opened_chunk out;
  try {
    size_t offset = 0;
    msgpack::unpack(out.handle, bytes.data(), bytes.size(), offset);
    if (offset != bytes.size())
      damaged(where, "trailing bytes");
  } catch (const msgpack::unpack_error& e) {
    damaged(where, std::string{"not valid msgpack ("} + e.what() + ")");
  }
  const msgpack::object& top = out.handle.get();
  if (top.type != msgpack::type::ARRAY || top.via.array.size != 5)
    damaged(where, "not a 5-element chunk");
  item_fields f{top, where};
  out.format = f.num<uint32_t>();
  if (out.format < snapshot_format_oldest_read || out.format > snapshot_format)
    f.bad("unknown format version " + std::to_string(out.format));
  if (f.num<uint64_t>() != gen || f.num<uint32_t>() != index)
    f.bad("belongs to another generation or position");
  out.items = &f.next();
  if (out.items->type != msgpack::type::ARRAY)
    f.bad("items are not an array");
  out.index = index;
  return out;
}

namespace snapshot_detail {

/// What a decoder has read so far.
struct decode_state {
  struct counts {
    std::vector<uint64_t> accounts;  // per shard
    uint64_t ids = 0, clearing = 0, transfers = 0;
  };
  uint64_t gen = 0;
  uint32_t shards = 0;
  uint32_t next_chunk = 0;
  uint32_t format = 0;  // of chunk 0; every chunk must have it
  std::string where;    // "generation G, chunk I" of the chunk being read
  bool header_seen = false, trailer_seen = false;
  counts announced, seen;  // by the header; items read
  durable_image img;
};

}  // namespace snapshot_detail

namespace {

using snapshot_detail::decode_state;

void read_header(decode_state& st, item_fields& f) {
  auto n = f.num<uint32_t>();
  if (n != st.shards)
    throw std::runtime_error("the snapshot has " + std::to_string(n) + " shards but " +
                             std::to_string(st.shards) + " are configured");
  st.img = durable_image{n};
  item_fields pos{f.next(), st.where, f.item_index(), "positions"};
  if (pos.size() != n)
    pos.bad("wrong number of positions");
  for (auto& p : st.img.positions) {
    item_fields e{pos.next(), st.where, f.item_index(), "position"};
    p.next_seq = e.num<uint64_t>();
    p.last_hash = e.num<uint64_t>();
    p.last_entry_id = e.str();
    e.done();
  }
  item_fields counts{f.next(), st.where, f.item_index(), "account counts"};
  if (counts.size() != n)
    counts.bad("wrong number of shards");
  st.announced.accounts.resize(n);
  st.seen.accounts.assign(n, 0);
  for (uint32_t s = 0; s < n; ++s) {
    st.announced.accounts[s] = counts.num<uint64_t>();
    st.img.accounts[s].reserve(st.announced.accounts[s]);
  }
  st.announced.ids = f.num<uint64_t>();
  st.announced.clearing = f.num<uint64_t>();
  st.announced.transfers = f.num<uint64_t>();
  st.img.ids.reserve(st.announced.ids);
  st.img.transfers.reserve(st.announced.transfers);
}

void read_account(decode_state& st, item_fields& f) {
  auto s = f.num<uint32_t>();
  if (s >= st.img.shards)
    f.bad("account in shard " + std::to_string(s));
  auto id = f.str();
  ledger::account_state a;
  a.balance = f.num<int64_t>();
  a.version = f.num<uint64_t>();
  a.currency = f.num<ledger::currency_code>();
  a.kind = f.enumerator(protocol::account_kind::house);
  a.status = f.enumerator(protocol::account_status::blocked);
  item_fields partners{f.next(), st.where, f.item_index(), "partners"};
  for (uint32_t p = 0; p < partners.size(); ++p)
    ledger::mark_partner(a, st.img.partner_spill[s], id, partners.str());
  if (!st.img.accounts[s].emplace(std::move(id), a).second)
    f.bad("account listed twice");
  ++st.seen.accounts[s];
}

void read_id(decode_state& st, item_fields& f) {
  ledger::id_hash key;
  key.hi = f.num<uint64_t>();
  key.lo = f.num<uint64_t>();
  ledger::id_entry e;
  e.fingerprint = f.num<uint64_t>();
  e.created_at_s = f.num<int64_t>();
  e.amount = f.num<int64_t>();
  e.balance = f.num<int64_t>();
  e.version = f.num<uint64_t>();
  e.account = f.str();
  e.currency = f.num<ledger::currency_code>();
  e.state = f.enumerator(ledger::id_state::tombstone);
  e.kind = f.enumerator(protocol::txn_kind::transfer);
  e.outcome = f.enumerator(protocol::txn_status::noop);
  e.rolled_back = f.flag();
  if (st.format == 2)
    f.flag();  // `has_amount` of tombstones, which nothing reads any more
  if (!st.img.ids.emplace(key, std::move(e)).second)
    f.bad("id listed twice");
  ++st.seen.ids;
}

void read_clearing(decode_state& st, item_fields& f) {
  auto partner = f.str();
  auto currency = f.num<ledger::currency_code>();
  ledger::clearing_account a;
  a.balance = f.num<int64_t>();
  a.version = f.num<uint64_t>();
  a.bets = f.num<int64_t>();
  a.wins = f.num<int64_t>();
  a.rollbacks = f.num<int64_t>();
  a.bet_count = f.num<uint64_t>();
  a.win_count = f.num<uint64_t>();
  a.rollback_count = f.num<uint64_t>();
  if (!st.img.clearing.emplace(std::pair{std::move(partner), currency}, a).second)
    f.bad("clearing account listed twice");
  ++st.seen.clearing;
}

void read_transfer(decode_state& st, item_fields& f) {
  auto key = f.str();
  open_transfer t;
  t.source = f.str();
  t.target = f.str();
  t.currency = f.str();
  t.amount = f.num<int64_t>();
  t.txn_id = f.str();
  t.fingerprint = f.num<uint64_t>();
  t.at_unix_ms = f.num<int64_t>();
  t.debit_seen = f.flag();
  t.credit_seen = f.flag();
  if (!st.img.transfers.emplace(std::move(key), std::move(t)).second)
    f.bad("transfer listed twice");
  ++st.seen.transfers;
}

void read_trailer(decode_state& st, item_fields& f) {
  st.trailer_seen = true;
  uint64_t accounts = f.num<uint64_t>();
  uint64_t total = 0, announced_total = 0;
  for (uint32_t s = 0; s < st.img.shards; ++s) {
    total += st.seen.accounts[s];
    announced_total += st.announced.accounts[s];
    if (st.seen.accounts[s] != st.announced.accounts[s])
      f.bad("shard " + std::to_string(s) + " has " + std::to_string(st.seen.accounts[s]) +
            " accounts, the header announced " + std::to_string(st.announced.accounts[s]));
  }
  const auto& seen = st.seen;
  const auto& announced = st.announced;
  if (accounts != total || accounts != announced_total || f.num<uint64_t>() != seen.ids ||
      seen.ids != announced.ids || f.num<uint64_t>() != seen.clearing ||
      seen.clearing != announced.clearing || f.num<uint64_t>() != seen.transfers ||
      seen.transfers != announced.transfers)
    f.bad("item counts do not match the header and trailer");
}

void read_item(decode_state& st, const msgpack::object& o, uint32_t index) {
  item_fields f{o, st.where, index};
  auto tag = f.enumerator(item::trailer);
  if (st.trailer_seen)
    f.bad("item after the trailer");
  if ((tag == item::header) == st.header_seen)
    f.bad(st.header_seen ? "second header" : "does not start with its header");
  switch (tag) {
    case item::header:
      st.header_seen = true;
      read_header(st, f);
      break;
    case item::account:
      read_account(st, f);
      break;
    case item::id:
      read_id(st, f);
      break;
    case item::clearing:
      read_clearing(st, f);
      break;
    case item::transfer:
      read_transfer(st, f);
      break;
    case item::trailer:
      read_trailer(st, f);
      break;
  }
  f.done();
}

/// Starts loading the accounts table slot of an account item ahead of its insert: the table
/// of millions of accounts is far bigger than the caches.
void prefetch_account(const msgpack::object& o, durable_image& img) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size < 3)
    return;
  const auto* f = o.via.array.ptr;
  if (f[0].type != msgpack::type::POSITIVE_INTEGER ||
      f[0].via.u64 != static_cast<uint64_t>(item::account) ||
      f[1].type != msgpack::type::POSITIVE_INTEGER || f[1].via.u64 >= img.accounts.size() ||
      f[2].type != msgpack::type::STR)
    return;
  img.accounts[f[1].via.u64].prefetch(absl::string_view{f[2].via.str.ptr, f[2].via.str.size});
}

}  // namespace

snapshot_decoder::snapshot_decoder(uint64_t gen, uint32_t shards)
    : state_(std::make_unique<decode_state>()) {
  state_->gen = gen;
  state_->shards = shards;
}

snapshot_decoder::~snapshot_decoder() = default;

void snapshot_decoder::add(const opened_chunk& chunk) {
  auto& st = *state_;
  SETTLE_ASSERT(chunk.index == st.next_chunk,
                "chunk " + std::to_string(chunk.index) + " handed over as chunk " +
                    std::to_string(st.next_chunk));
  st.where = chunk_name(st.gen, chunk.index);
  if (chunk.index == 0)
    st.format = chunk.format;
  else if (chunk.format != st.format)
    damaged(st.where, "format " + std::to_string(chunk.format) + " where chunk 0 has format " +
                          std::to_string(st.format));
  const auto& items = chunk.items->via.array;
  constexpr uint32_t lookahead = 16;  // items whose account slot is loaded ahead
  for (uint32_t k = 0; k < items.size; ++k) {
    if (k + lookahead < items.size)
      prefetch_account(items.ptr[k + lookahead], st.img);
    read_item(st, items.ptr[k], k);
  }
  ++st.next_chunk;
}

durable_image snapshot_decoder::finish() {
  auto& st = *state_;
  if (!st.trailer_seen)
    throw snapshot_format_error("snapshot generation " + std::to_string(st.gen) +
                                " ends without its trailer");
  // Invariant, the pair of the one in encode_snapshot: the checksums passed, so these are the
  // bytes that were written.
  std::string sum = check_zero_sum(st.img);
  SETTLE_ASSERT(sum.empty(), "snapshot generation " + std::to_string(st.gen) + " as read: " + sum);
  return std::move(st.img);
}

durable_image decode_snapshot(const std::vector<std::string>& chunks, uint64_t gen,
                              uint32_t shards) {
  snapshot_decoder d{gen, shards};
  for (uint32_t i = 0; i < chunks.size(); ++i)
    d.add(open_chunk(chunks[i], gen, i));
  return d.finish();
}

}  // namespace settle::persistence
