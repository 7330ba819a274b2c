#include "persistence/journal_batch.hpp"

#include <msgpack.hpp>

#include "ledger/content_hash.hpp"
#include "protocol/msgpack_object.hpp"

namespace settle::persistence {

namespace {

constexpr uint32_t format_version = 3;  // 2: typed records; 3: XXH3-64 seal
// 19 since round and game are journaled (history shows them); 17 is still read (they are "").
constexpr size_t record_fields = 19;
constexpr size_t record_fields_without_round = 17;
constexpr size_t hash_bytes = 9;  // the checksum at the end: 0xcf and 8 bytes

struct string_sink {
  std::string& out;
  void write(const char* p, size_t n) { out.append(p, n); }
};

void pack_str(msgpack::packer<string_sink>& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

template <class T>
bool get(const msgpack::object& o, T& out) {
  return protocol::detail::object_get(o, out);
}

bool decode_record(const msgpack::object& o, journal_record& r) {
  if (o.type != msgpack::type::ARRAY || (o.via.array.size != record_fields &&
                                         o.via.array.size != record_fields_without_round))
    return false;
  const auto* f = o.via.array.ptr;
  uint8_t type = 0, status = 0, role = 0, kind = 0, outcome = 0;
  bool ok = get(f[0], type) && get(f[1], r.account) && get(f[2], r.currency) &&
            get(f[3], r.at_unix_ms) && get(f[4], status) && get(f[5], role) &&
            get(f[6], kind) && get(f[7], outcome) && get(f[8], r.txn_id) &&
            get(f[9], r.id_namespace) && get(f[10], r.partner) && get(f[11], r.ref) &&
            get(f[12], r.to) && get(f[13], r.fingerprint) && get(f[14], r.amount) &&
            get(f[15], r.balance_after) && get(f[16], r.version_after) &&
            (o.via.array.size == record_fields_without_round ||
             (get(f[17], r.round) && get(f[18], r.game)));
  if (!ok || type > static_cast<uint8_t>(record_type::txn) ||
      status > static_cast<uint8_t>(protocol::account_status::blocked) ||
      role > static_cast<uint8_t>(leg_role::transfer_refund) ||
      kind > static_cast<uint8_t>(protocol::txn_kind::transfer) ||
      outcome > static_cast<uint8_t>(protocol::txn_status::noop))
    return false;
  r.type = static_cast<record_type>(type);
  r.status = static_cast<protocol::account_status>(status);
  r.role = static_cast<leg_role>(role);
  r.kind = static_cast<protocol::txn_kind>(kind);
  r.outcome = static_cast<protocol::txn_status>(outcome);
  return true;
}

}  // namespace

record_view view_of(const journal_record& r) {
  record_view v;
  v.type = r.type;
  v.account = r.account;
  v.currency = r.currency;
  v.at_unix_ms = r.at_unix_ms;
  v.status = r.status;
  v.role = r.role;
  v.kind = r.kind;
  v.outcome = r.outcome;
  v.txn_id = r.txn_id;
  v.id_namespace = r.id_namespace;
  v.partner = r.partner;
  v.ref = r.ref;
  v.to = r.to;
  v.round = r.round;
  v.game = r.game;
  v.fingerprint = r.fingerprint;
  v.amount = r.amount;
  v.balance_after = r.balance_after;
  v.version_after = r.version_after;
  return v;
}

void append_record(std::string& out, const record_view& r) {
  string_sink sink{out};
  msgpack::packer<string_sink> pk{sink};
  pk.pack_array(record_fields);
  pk.pack(static_cast<uint8_t>(r.type));
  pack_str(pk, r.account);
  pack_str(pk, r.currency);
  pk.pack(r.at_unix_ms);
  pk.pack(static_cast<uint8_t>(r.status));
  pk.pack(static_cast<uint8_t>(r.role));
  pk.pack(static_cast<uint8_t>(r.kind));
  pk.pack(static_cast<uint8_t>(r.outcome));
  pack_str(pk, r.txn_id);
  pack_str(pk, r.id_namespace);
  pack_str(pk, r.partner);
  pack_str(pk, r.ref);
  pack_str(pk, r.to);
  pk.pack(r.fingerprint);
  pk.pack(r.amount);
  pk.pack(r.balance_after);
  pk.pack(r.version_after);
  pack_str(pk, r.round);
  pack_str(pk, r.game);
}

void begin_batch(std::string& out, uint32_t shard, uint64_t seq, uint64_t prev_hash,
                 uint32_t records) {
  // [version, shard, seq, prev_hash, [records...]] then the hash of those bytes as a uint64.
  out.clear();
  string_sink sink{out};
  msgpack::packer<string_sink> pk{sink};
  pk.pack_array(6);
  pk.pack(format_version);
  pk.pack(shard);
  pk.pack(seq);
  pk.pack(prev_hash);
  pk.pack_array(records);
}

uint64_t end_batch(std::string& out) {
  uint64_t hash = ledger::content_hash(out);
  string_sink sink{out};
  msgpack::packer<string_sink> pk{sink};
  pk.pack_fix_uint64(hash);  // fixed width: the hashed prefix ends exactly 9 bytes early
  return hash;
}

std::string encode_batch(const journal_batch& b, uint64_t& hash) {
  std::string out;
  begin_batch(out, b.shard, b.seq, b.prev_hash, static_cast<uint32_t>(b.records.size()));
  for (const auto& r : b.records)
    append_record(out, view_of(r));
  hash = end_batch(out);
  return out;
}

bool decode_records(std::string_view bytes, uint32_t count, std::vector<journal_record>& out) {
  size_t offset = 0;
  for (uint32_t i = 0; i < count; ++i) {
    msgpack::object_handle oh;
    try {
      msgpack::unpack(oh, bytes.data(), bytes.size(), offset);
    } catch (const std::exception&) {
      return false;
    }
    journal_record r;
    if (!decode_record(oh.get(), r))
      return false;
    out.push_back(std::move(r));
  }
  return offset == bytes.size();
}

decoded_batch decode_batch(std::string_view bytes) {
  if (bytes.size() <= hash_bytes)
    throw journal_format_error("batch is truncated");
  msgpack::object_handle oh;
  size_t offset = 0;
  try {
    msgpack::unpack(oh, bytes.data(), bytes.size(), offset);
  } catch (const std::exception& e) {
    throw journal_format_error(std::string{"batch is not valid msgpack ("} + e.what() + ")");
  }
  if (offset != bytes.size())
    throw journal_format_error("trailing bytes after the batch");
  const auto& o = oh.get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 6)
    throw journal_format_error("batch is not a 6-element array");
  const auto* f = o.via.array.ptr;
  decoded_batch out;
  auto& b = out.batch;
  uint32_t version = 0;
  uint64_t stored_hash = 0;
  if (!get(f[0], version) || version != format_version || !get(f[1], b.shard) ||
      !get(f[2], b.seq) || !get(f[3], b.prev_hash) || !get(f[5], stored_hash) ||
      f[4].type != msgpack::type::ARRAY)
    throw journal_format_error("batch header is malformed");
  out.hash = ledger::content_hash(bytes.substr(0, bytes.size() - hash_bytes));
  if (out.hash != stored_hash)
    throw journal_format_error("checksum mismatch");
  b.records.resize(f[4].via.array.size);
  for (uint32_t i = 0; i < f[4].via.array.size; ++i)
    if (!decode_record(f[4].via.array.ptr[i], b.records[i]))
      throw journal_format_error("record " + std::to_string(i) + " is malformed");
  return out;
}

batch_header read_batch_header(std::string_view bytes) {
  // [version, shard, seq, prev_hash, ...: five msgpack values, one after the other.
  msgpack::object_handle oh;
  size_t offset = 0;
  auto next = [&]() -> const msgpack::object& {
    try {
      msgpack::unpack(oh, bytes.data(), bytes.size(), offset);
    } catch (const std::exception& e) {
      throw journal_format_error(std::string{"batch header is not valid msgpack ("} +
                                 e.what() + ")");
    }
    return oh.get();
  };
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != 0x96)  // fixarray of 6
    throw journal_format_error("batch is not a 6-element array");
  offset = 1;
  batch_header h;
  uint32_t version = 0;
  if (!get(next(), version) || version != format_version || !get(next(), h.shard) ||
      !get(next(), h.seq) || !get(next(), h.prev_hash))
    throw journal_format_error("batch header is malformed");
  return h;
}

namespace {

/// What is wrong with `b` as the next one of the chain ("" when nothing).
std::string chain_problem(const journal_batch& b, uint32_t shard, uint64_t expected_seq,
                          uint64_t last_hash) {
  if (b.shard != shard)
    return "belongs to shard " + std::to_string(b.shard);
  if (b.seq != expected_seq)
    return "sequence " + std::to_string(b.seq) + " where " + std::to_string(expected_seq) +
           " was expected (a batch is missing or out of order)";
  if (b.prev_hash != last_hash)
    return "previous-batch hash does not match (the chain is broken)";
  return {};
}

}  // namespace

chain_report verify_chain(uint32_t shard, const std::vector<std::string>& stored,
                          std::vector<journal_batch>& out, uint64_t start_hash,
                          uint64_t start_seq) {
  chain_report report;
  report.last_hash = start_hash;
  uint64_t expected_seq = start_seq;
  for (size_t i = 0; i < stored.size(); ++i) {
    decoded_batch d;
    std::string why;
    try {
      d = decode_batch(stored[i]);
      why = chain_problem(d.batch, shard, expected_seq, report.last_hash);
    } catch (const journal_format_error& e) {
      why = e.what();  // damage: what this report is for
    }
    if (!why.empty()) {
      report.ok = false;
      report.problem = "journal shard " + std::to_string(shard) + ", batch " +
                       std::to_string(i) + " (sequence " + std::to_string(expected_seq) +
                       "): " + why;
      return report;
    }
    report.last_hash = d.hash;
    ++report.good_batches;
    ++expected_seq;
    out.push_back(std::move(d.batch));
  }
  return report;
}

}  // namespace settle::persistence
