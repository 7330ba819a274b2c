#include "persistence/snapshot_store.hpp"

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include <hiredis/hiredis.h>
#include <msgpack.hpp>

#include "ledger/content_hash.hpp"
#include "persistence/journal_batch.hpp"

namespace settle::persistence {

namespace {

constexpr uint32_t snapshot_format = 2;  // 2: ids by their 128-bit hash, XXH3-64 seal
constexpr size_t chunk_limit = 8u << 20;  // Redis copes with far more; this bounds memory
constexpr size_t chunk_header_room = 64;  // header and checksum around the items
constexpr size_t journal_page = 64;  // batches per XRANGE: a few MB decoded at a time
constexpr int load_attempts = 10;  // tries when a concurrent snapshot moved the head

const std::string meta_key = "settle:meta";
const std::string head_key = "settle:snapshot:head";
const std::string generation_key = "settle:snapshot:next";
const std::string chunk_prefix = "settle:snapshot:chunk:";
const std::string journal_prefix = "settle:journal:";  // as the journal writer names streams

std::string journal_key(uint32_t shard) { return journal_prefix + std::to_string(shard); }

std::string chunk_key(uint64_t gen, uint32_t index) {
  return chunk_prefix + std::to_string(gen) + ":" + std::to_string(index);
}

/// Item tags inside chunks.
enum class item : uint8_t { header, account, id, clearing, transfer, trailer };

// ---------------------------------------------------------------------------------------
// Redis

struct reply_free {
  void operator()(redisReply* r) const {
    if (r != nullptr)
      freeReplyObject(r);
  }
};
using reply_ptr = std::unique_ptr<redisReply, reply_free>;

/// One hiredis connection; every command either returns a non-error reply or throws.
class connection {
public:
  explicit connection(const redis_address& a) {
    timeval tv{static_cast<time_t>(a.timeout_ms / 1000),
               static_cast<suseconds_t>((a.timeout_ms % 1000) * 1000)};
    std::string where = a.unix_socket.empty() ? a.host + ":" + std::to_string(a.port)
                                              : a.unix_socket;
    ctx_ = a.unix_socket.empty() ? redisConnectWithTimeout(a.host.c_str(), a.port, tv)
                                 : redisConnectUnixWithTimeout(a.unix_socket.c_str(), tv);
    if (ctx_ == nullptr)
      throw std::runtime_error("cannot connect to Redis at " + where);
    if (ctx_->err != 0 || redisSetTimeout(ctx_, tv) != REDIS_OK) {
      std::string why = ctx_->errstr;
      redisFree(ctx_);
      throw std::runtime_error("cannot connect to Redis at " + where + ": " + why);
    }
  }
  ~connection() { redisFree(ctx_); }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  reply_ptr run(std::initializer_list<std::string_view> args) {
    return run(std::vector<std::string_view>(args));
  }
  reply_ptr run(const std::vector<std::string_view>& args) {
    std::vector<const char*> argv;
    std::vector<size_t> argvlen;
    for (auto a : args) {
      argv.push_back(a.data());
      argvlen.push_back(a.size());
    }
    reply_ptr r{static_cast<redisReply*>(redisCommandArgv(
        ctx_, static_cast<int>(argv.size()), argv.data(), argvlen.data()))};
    std::string what{args[0]};
    if (args.size() > 1)
      what += " " + std::string{args[1]};
    if (r == nullptr)
      throw std::runtime_error("Redis " + what + " failed: " + ctx_->errstr);
    if (r->type == REDIS_REPLY_ERROR)
      throw std::runtime_error("Redis " + what + ": " + std::string{r->str, r->len});
    return r;
  }

private:
  redisContext* ctx_ = nullptr;
};

std::string text(const redisReply* r) { return {r->str, r->len}; }

template <class Int>
bool parse_int(std::string_view s, Int& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

/// The shard count Redis holds must be the configured one: accounts are placed by
/// stable_hash % shards, so another count would look for them in the wrong streams.
void check_meta(connection& c, uint32_t shards) {
  auto s = std::to_string(shards);
  c.run({"HSETNX", meta_key, "account_shards", s});  // first start: record it
  auto r = c.run({"HGET", meta_key, "account_shards"});
  uint32_t stored = 0;
  if (r->type != REDIS_REPLY_STRING || !parse_int(text(r.get()), stored))
    throw std::runtime_error("settle:meta account_shards is unreadable");
  if (stored != shards)
    throw std::runtime_error("Redis holds a ledger of " + std::to_string(stored) +
                             " account shards but " + s +
                             " are configured (the shard count cannot change)");
}

/// The head's value ("<gen> <chunks>"), "" when there is no snapshot yet.
std::string read_head(connection& c) {
  auto r = c.run({"GET", head_key});
  return r->type == REDIS_REPLY_STRING ? text(r.get()) : std::string{};
}

bool parse_head(const std::string& head, uint64_t& gen, uint32_t& chunks) {
  auto space = head.find(' ');
  return space != std::string::npos && parse_int(std::string_view{head}.substr(0, space), gen) &&
         parse_int(std::string_view{head}.substr(space + 1), chunks) && chunks > 0;
}

// ---------------------------------------------------------------------------------------
// Snapshot encoding: chunk = msgpack [format, gen, index, [items...], hash], where hash is
// content_hash of every byte before it (a fixed-width uint64, like journal batches). Gen and
// index are inside the hashed bytes, so a chunk cannot pass for another one.

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

/// Collects items into chunks and stores each one as soon as it is full.
class chunk_writer {
public:
  chunk_writer(connection& c, uint64_t gen) : c_(c), gen_(gen) {}

  /// A packer for the next item; call add() when it is complete.
  packer& item() {
    scratch_.clear();
    return pk_;
  }
  void add() {
    if (items_ > 0 && body_.size() + scratch_.size() + chunk_header_room > chunk_limit)
      flush();
    body_ += scratch_;
    ++items_;
  }
  void flush() {
    std::string chunk;
    string_sink sink{chunk};
    packer pk{sink};
    chunk.reserve(body_.size() + chunk_header_room);
    pk.pack_array(5);
    pk.pack(snapshot_format);
    pk.pack(gen_);
    pk.pack(chunks_);
    pk.pack_array(items_);
    chunk += body_;
    pk.pack_fix_uint64(ledger::content_hash(chunk));
    c_.run({"SET", chunk_key(gen_, chunks_), chunk});
    bytes_ += chunk.size();
    ++chunks_;
    body_.clear();
    items_ = 0;
  }
  uint32_t chunks() const { return chunks_; }
  size_t bytes() const { return bytes_; }

private:
  connection& c_;
  uint64_t gen_;
  std::string body_, scratch_;
  string_sink sink_{scratch_};
  packer pk_{sink_};
  uint32_t items_ = 0, chunks_ = 0;
  size_t bytes_ = 0;
};

void write_items(chunk_writer& w, const durable_image& img) {
  {
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
  uint64_t accounts = 0;
  for (uint32_t s = 0; s < img.shards; ++s) {
    // Partner marks by name (bits are per process): the account's bits, plus its spill.
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
      ++accounts;
    }
  }
  // Every id_entry field but `stalled`, which only pending entries (never in an image) use.
  for (const auto& [key, e] : img.ids) {
    auto& pk = w.item();
    pack_tag(pk, item::id, 14);
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
    pk.pack(e.has_amount);
    w.add();
  }
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
  {
    // Last item: a snapshot missing its tail cannot pass for a complete one.
    auto& pk = w.item();
    pack_tag(pk, item::trailer, 4);
    pk.pack(accounts);
    pk.pack(static_cast<uint64_t>(img.ids.size()));
    pk.pack(static_cast<uint64_t>(img.clearing.size()));
    pk.pack(static_cast<uint64_t>(img.transfers.size()));
    w.add();
  }
  w.flush();
}

// ---------------------------------------------------------------------------------------
// Snapshot decoding

/// The snapshot's head moved while it was being read: read the new one.
struct head_moved {};

/// Reads the fields of one msgpack array in order; throws on any type mismatch.
class fields {
public:
  /// `where` names the chunk, `item` the item in it, `part` a part of the item; the text is
  /// built only for an error (there are millions of items).
  fields(const msgpack::object& o, const std::string& where, uint32_t item = no_item,
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
    throw std::runtime_error("snapshot " + at + ": " + why);
  }
  static constexpr uint32_t no_item = UINT32_MAX;

private:
  const std::string& where_;
  uint32_t item_;
  const char* part_;
  const msgpack::object* p_ = nullptr;
  uint32_t n_ = 0, i_ = 0;
};

/// Counts announced by the header, checked against what the chunks held.
struct snapshot_counts {
  std::vector<uint64_t> accounts;
  uint64_t ids = 0, clearing = 0, transfers = 0;
};

void read_item(const msgpack::object& o, const std::string& where, uint32_t index,
               durable_image& img, snapshot_counts& announced, snapshot_counts& seen,
               bool& header_seen, bool& trailer_seen, uint32_t shards) {
  fields f{o, where, index};
  auto tag = f.enumerator(item::trailer);
  if (trailer_seen)
    f.bad("item after the trailer");
  if ((tag == item::header) == header_seen)
    f.bad(header_seen ? "second header" : "does not start with its header");
  switch (tag) {
    case item::header: {
      header_seen = true;
      auto n = f.num<uint32_t>();
      if (n != shards)
        throw std::runtime_error("the snapshot has " + std::to_string(n) + " shards but " +
                                 std::to_string(shards) + " are configured");
      img = durable_image{n};
      fields pos{f.next(), where, index, "positions"};
      if (pos.size() != n)
        pos.bad("wrong number of positions");
      for (auto& p : img.positions) {
        fields e{pos.next(), where, index, "position"};
        p.next_seq = e.num<uint64_t>();
        p.last_hash = e.num<uint64_t>();
        p.last_entry_id = e.str();
        e.done();
      }
      fields counts{f.next(), where, index, "account counts"};
      if (counts.size() != n)
        counts.bad("wrong number of shards");
      announced.accounts.resize(n);
      seen.accounts.assign(n, 0);
      for (uint32_t s = 0; s < n; ++s) {
        announced.accounts[s] = counts.num<uint64_t>();
        img.accounts[s].reserve(announced.accounts[s]);
      }
      announced.ids = f.num<uint64_t>();
      announced.clearing = f.num<uint64_t>();
      announced.transfers = f.num<uint64_t>();
      img.ids.reserve(announced.ids);
      img.transfers.reserve(announced.transfers);
      break;
    }
    case item::account: {
      auto s = f.num<uint32_t>();
      if (s >= img.shards)
        f.bad("account in shard " + std::to_string(s));
      auto id = f.str();
      ledger::account_state a;
      a.balance = f.num<int64_t>();
      a.version = f.num<uint64_t>();
      a.currency = f.num<ledger::currency_code>();
      a.kind = f.enumerator(protocol::account_kind::house);
      a.status = f.enumerator(protocol::account_status::blocked);
      fields partners{f.next(), where, index, "partners"};
      for (uint32_t p = 0; p < partners.size(); ++p)
        ledger::mark_partner(a, img.partner_spill[s], id, partners.str());
      if (!img.accounts[s].emplace(std::move(id), a).second)
        f.bad("account listed twice");
      ++seen.accounts[s];
      break;
    }
    case item::id: {
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
      e.has_amount = f.flag();
      if (!img.ids.emplace(key, std::move(e)).second)
        f.bad("id listed twice");
      ++seen.ids;
      break;
    }
    case item::clearing: {
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
      if (!img.clearing.emplace(std::pair{std::move(partner), currency}, a).second)
        f.bad("clearing account listed twice");
      ++seen.clearing;
      break;
    }
    case item::transfer: {
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
      if (!img.transfers.emplace(std::move(key), std::move(t)).second)
        f.bad("transfer listed twice");
      ++seen.transfers;
      break;
    }
    case item::trailer: {
      trailer_seen = true;
      uint64_t accounts = f.num<uint64_t>();
      uint64_t total = 0, announced_total = 0;
      for (uint32_t s = 0; s < img.shards; ++s) {
        total += seen.accounts[s];
        announced_total += announced.accounts[s];
        if (seen.accounts[s] != announced.accounts[s])
          f.bad("shard " + std::to_string(s) + " has " + std::to_string(seen.accounts[s]) +
                " accounts, the header announced " + std::to_string(announced.accounts[s]));
      }
      if (accounts != total || accounts != announced_total || f.num<uint64_t>() != seen.ids ||
          seen.ids != announced.ids || f.num<uint64_t>() != seen.clearing ||
          seen.clearing != announced.clearing || f.num<uint64_t>() != seen.transfers ||
          seen.transfers != announced.transfers)
        f.bad("item counts do not match the header and trailer");
      break;
    }
  }
  f.done();
}

/// A chunk is missing or damaged: because a newer snapshot replaced this one, or for real.
[[noreturn]] void chunk_problem(connection& c, const std::string& head, const std::string& where,
                                const std::string& why) {
  if (read_head(c) != head)
    throw head_moved{};
  throw std::runtime_error("snapshot " + where + ": " + why);
}

/// Runs a producer on its own thread, at most two results ahead of the caller. Recovery
/// uses it so that fetching and decoding the next piece (a snapshot chunk, a journal page)
/// overlaps with folding the current one into the image, which is where the time goes; the
/// other core is idle otherwise.
template <class T>
class read_ahead {
public:
  /// `produce(emit)` calls `emit(value)` for each result in order; emit returns false once the
  /// caller has stopped listening. What `produce` throws is rethrown by next().
  using emitter = std::function<bool(T)>;
  explicit read_ahead(std::function<void(const emitter&)> produce)
      : thread_([this, produce = std::move(produce)] { run(produce); }) {}
  ~read_ahead() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  read_ahead(const read_ahead&) = delete;
  read_ahead& operator=(const read_ahead&) = delete;

  /// The next result; rethrows what the producer threw; nullopt once it has finished.
  std::optional<T> next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) {
      if (error_)
        std::rethrow_exception(error_);
      return std::nullopt;
    }
    T v = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return v;
  }

private:
  void run(const std::function<void(const emitter&)>& produce) {
    std::exception_ptr error;
    try {
      produce([this](T v) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || ready_.size() < 2; });
        if (stopping_)
          return false;
        ready_.push_back(std::move(v));
        changed_.notify_all();
        return true;
      });
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = error;
    finished_ = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> ready_;
  std::exception_ptr error_;
  bool stopping_ = false, finished_ = false;
  std::thread thread_;  // last: started once the rest is built
};

/// Fetches one snapshot chunk, checks its checksum and unpacks it.
msgpack::object_handle read_chunk(connection& c, const std::string& head, uint64_t gen,
                                  uint32_t i) {
  std::string where = "generation " + std::to_string(gen) + ", chunk " + std::to_string(i);
  auto r = c.run({"GET", chunk_key(gen, i)});
  if (r->type != REDIS_REPLY_STRING)
    chunk_problem(c, head, where, "missing");
  std::string_view bytes{r->str, r->len};
  constexpr size_t hash_bytes = 9;  // 0xcf + 8 bytes
  if (bytes.size() <= hash_bytes)
    chunk_problem(c, head, where, "truncated");
  // The checksum first, read straight from the last 9 bytes: nothing of a damaged chunk is
  // interpreted.
  uint64_t stored_hash = 0;
  if (static_cast<uint8_t>(bytes[bytes.size() - hash_bytes]) != 0xcf)
    chunk_problem(c, head, where, "no checksum at the end");
  for (size_t k = bytes.size() - 8; k < bytes.size(); ++k)
    stored_hash = (stored_hash << 8) | static_cast<uint8_t>(bytes[k]);
  if (stored_hash != ledger::content_hash(bytes.substr(0, bytes.size() - hash_bytes)))
    chunk_problem(c, head, where, "checksum mismatch");
  msgpack::object_handle oh;
  try {
    size_t offset = 0;
    msgpack::unpack(oh, bytes.data(), bytes.size(), offset);
    if (offset != bytes.size())
      chunk_problem(c, head, where, "trailing bytes");
  } catch (const msgpack::unpack_error& e) {
    chunk_problem(c, head, where, std::string{"not valid msgpack ("} + e.what() + ")");
  }
  return oh;
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

/// Loads the snapshot `head` names. Throws head_moved if a chunk is missing or damaged and
/// the head has changed meanwhile (a newer snapshot replaced it); runtime_error otherwise.
durable_image read_snapshot(const redis_address& addr, const std::string& head,
                            uint32_t shards) {
  if (head.empty())
    return durable_image{shards};
  uint64_t gen = 0;
  uint32_t chunks = 0;
  if (!parse_head(head, gen, chunks))
    throw std::runtime_error("settle:snapshot:head is malformed: '" + head + "'");
  durable_image img;
  snapshot_counts announced, seen;
  bool header_seen = false, trailer_seen = false;
  read_ahead<msgpack::object_handle> reader{[&addr, &head, gen, chunks](const auto& emit) {
    connection c{addr};  // a connection of the reader thread's own
    for (uint32_t i = 0; i < chunks && emit(read_chunk(c, head, gen, i)); ++i) {
    }
  }};
  for (uint32_t i = 0; i < chunks; ++i) {
    std::string where = "generation " + std::to_string(gen) + ", chunk " + std::to_string(i);
    auto oh = reader.next();
    if (!oh)
      throw std::runtime_error("snapshot " + where + ": not read");
    const msgpack::object& top = oh->get();
    if (top.type != msgpack::type::ARRAY || top.via.array.size != 5)
      throw std::runtime_error("snapshot " + where + ": not a 5-element chunk");
    fields f{top, where};
    if (f.num<uint32_t>() != snapshot_format)
      f.bad("unknown format version");
    if (f.num<uint64_t>() != gen || f.num<uint32_t>() != i)
      f.bad("belongs to another generation or position");
    const msgpack::object& items = f.next();
    if (items.type != msgpack::type::ARRAY)
      f.bad("items are not an array");
    constexpr uint32_t lookahead = 16;  // items whose account slot is loaded ahead
    for (uint32_t k = 0; k < items.via.array.size; ++k) {
      if (k + lookahead < items.via.array.size)
        prefetch_account(items.via.array.ptr[k + lookahead], img);
      read_item(items.via.array.ptr[k], where, k, img, announced, seen, header_seen,
                trailer_seen, shards);
    }
  }
  if (!trailer_seen)
    throw std::runtime_error("snapshot generation " + std::to_string(gen) +
                             " ends without its trailer");
  return img;
}

// ---------------------------------------------------------------------------------------
// Journal replay

/// A page of stream entries: ids and batch bytes.
struct journal_page_entries {
  std::vector<std::string> ids, batches;
};

journal_page_entries read_page(connection& c, uint32_t shard, const std::string& from,
                               size_t count) {
  auto key = journal_key(shard);
  auto n = std::to_string(count);
  auto r = c.run({"XRANGE", key, from, "+", "COUNT", n});
  if (r->type != REDIS_REPLY_ARRAY)
    throw std::runtime_error("journal shard " + std::to_string(shard) + ": XRANGE answered " +
                             "with a non-array");
  journal_page_entries out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* e = r->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
      throw std::runtime_error("journal shard " + std::to_string(shard) +
                               ": stream entry has an unexpected shape");
    out.ids.push_back(text(e->element[0]));
    const redisReply* f = e->element[1];
    // The batch is field "b"; a missing field is damage, left to verify_chain to report.
    std::string bytes;
    for (size_t k = 0; k + 1 < f->elements; k += 2)
      if (f->element[k]->type == REDIS_REPLY_STRING && text(f->element[k]) == "b" &&
          f->element[k + 1]->type == REDIS_REPLY_STRING)
        bytes = text(f->element[k + 1]);
    out.batches.push_back(std::move(bytes));
  }
  return out;
}

/// verify_chain numbers batches within the page it was given; renumber from the position.
std::string renumber(const std::string& problem, uint32_t shard, size_t in_page,
                     size_t before_page) {
  std::string prefix = "journal shard " + std::to_string(shard) + ", batch ";
  std::string page_prefix = prefix + std::to_string(in_page) + " ";
  if (!problem.starts_with(page_prefix))
    return problem;
  return prefix + std::to_string(before_page + in_page) + problem.substr(page_prefix.size() - 1);
}

/// Deletes the entry `from_id` and every later one of the shard's stream; returns how many.
size_t cut_stream(connection& c, uint32_t shard, const std::string& from_id) {
  auto key = journal_key(shard);
  size_t cut = 0;
  for (;;) {
    auto page = read_page(c, shard, from_id, journal_page);
    if (page.ids.empty())
      return cut;
    std::vector<std::string_view> args{"XDEL", key};  // one round trip per page
    for (const auto& id : page.ids)
      args.push_back(id);
    cut += static_cast<size_t>(c.run(args)->integer);
  }
}

/// One page of a stream, read, decoded and chain-checked (on the reader thread).
struct checked_page {
  journal_page_entries entries;
  std::vector<journal_batch> batches;  // the good ones, in order
  chain_report chain;
};

void replay_shard(connection& c, const redis_address& addr, durable_image& img, uint32_t shard,
                  const std::string& head, const load_options& opts, load_report& report) {
  auto& pos = img.positions[shard];
  // Pages are read and decoded ahead, on their own connection, while this thread folds.
  read_ahead<checked_page> pages{[&addr, shard, start = pos](const auto& emit) {
    connection rc{addr};
    std::string from = start.last_entry_id.empty() ? "-" : "(" + start.last_entry_id;
    uint64_t hash = start.last_hash, seq = start.next_seq;
    for (;;) {
      checked_page p;
      p.entries = read_page(rc, shard, from, journal_page);
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
  }};
  size_t before_page = 0;  // batches of this stream folded so far (after the snapshot)
  for (;;) {
    auto next = pages.next();
    if (!next)
      return;
    auto& page = next->entries;
    auto& batches = next->batches;
    const auto& chain = next->chain;
    for (size_t i = 0; i < batches.size(); ++i) {
      for (const auto& r : batches[i].records) {
        try {
          fold(img, shard, r);
        } catch (const std::runtime_error& e) {
          throw std::runtime_error("journal shard " + std::to_string(shard) + ", batch " +
                                   std::to_string(before_page + i) + " (sequence " +
                                   std::to_string(batches[i].seq) + ", stream entry " +
                                   page.ids[i] + "): " + e.what());
        }
      }
      pos.next_seq = batches[i].seq + 1;
      pos.last_entry_id = page.ids[i];
      report.records += batches[i].records.size();
    }
    pos.last_hash = chain.last_hash;
    report.batches += batches.size();
    if (!chain.ok) {
      std::string problem = renumber(chain.problem, shard, chain.good_batches, before_page) +
                            " (stream entry " + page.ids[chain.good_batches] + ")";
      // A snapshot written meanwhile trims the journal under us: that is no damage.
      if (read_head(c) != head)
        throw head_moved{};
      if (!opts.stop_at_last_good)
        throw std::runtime_error(problem);
      size_t cut = cut_stream(c, shard, page.ids[chain.good_batches]);
      if (!report.truncated.empty())
        report.truncated += "; ";
      report.truncated += "journal shard " + std::to_string(shard) + ": cut " +
                          std::to_string(cut) + " batch(es) from stream entry " +
                          page.ids[chain.good_batches] + " on, because " + problem;
      return;
    }
    before_page += batches.size();
  }
}

double ms_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

durable_image load_image(const redis_address& addr, uint32_t shards, const load_options& opts,
                         load_report& report) {
  if (shards == 0)
    throw std::invalid_argument("the ledger needs at least one shard");
  connection c{addr};
  check_meta(c, shards);
  for (int attempt = 0; attempt < load_attempts; ++attempt) {
    report = load_report{};
    try {
      auto t0 = std::chrono::steady_clock::now();
      std::string head = read_head(c);
      durable_image img = read_snapshot(addr, head, shards);
      for (const auto& a : img.accounts)
        report.snapshot_accounts += a.size();
      report.snapshot_ids = img.ids.size();
      report.snapshot_ms = ms_since(t0);
      auto t1 = std::chrono::steady_clock::now();
      for (uint32_t s = 0; s < shards; ++s)
        replay_shard(c, addr, img, s, head, opts, report);
      report.replay_ms = ms_since(t1);
      return img;
    } catch (const head_moved&) {
      // A newer snapshot replaced the one being read (and trimmed the journal): start over.
    }
  }
  throw std::runtime_error("the snapshot kept changing while it was loaded; try again");
}

size_t write_snapshot(const redis_address& addr, const durable_image& img) {
  if (img.shards == 0 || img.accounts.size() != img.shards || img.positions.size() != img.shards)
    throw std::invalid_argument("the image's shard count does not match its tables");
  connection c{addr};
  check_meta(c, img.shards);
  auto gen_reply = c.run({"INCR", generation_key});
  auto gen = static_cast<uint64_t>(gen_reply->integer);

  chunk_writer w{c, gen};
  write_items(w, img);
  // The switch: before it loaders see the previous snapshot, after it this one; never a mix.
  c.run({"SET", head_key, std::to_string(gen) + " " + std::to_string(w.chunks())});

  // Older generations (and the chunks of writers that died before switching).
  std::string cursor = "0";
  do {
    auto r = c.run({"SCAN", cursor, "MATCH", chunk_prefix + "*", "COUNT", "1000"});
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
      throw std::runtime_error("Redis SCAN answered unexpectedly");
    cursor = text(r->element[0]);
    const redisReply* keys = r->element[1];
    for (size_t i = 0; i < keys->elements; ++i) {
      std::string key = text(keys->element[i]);
      std::string_view rest = std::string_view{key}.substr(chunk_prefix.size());
      uint64_t old = 0;
      if (parse_int(rest.substr(0, rest.find(':')), old) && old < gen)
        c.run({"UNLINK", key});
    }
  } while (cursor != "0");

  // Entries before the last folded one are in the snapshot now. The last folded entry stays:
  // it is where a journal writer that reconnects reads its chain's sequence and hash.
  for (uint32_t s = 0; s < img.shards; ++s)
    if (!img.positions[s].last_entry_id.empty())
      c.run({"XTRIM", journal_key(s), "MINID", img.positions[s].last_entry_id});
  return w.bytes();
}

}  // namespace settle::persistence
