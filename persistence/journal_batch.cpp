#include "persistence/journal_batch.hpp"

#include <msgpack.hpp>

#include "ledger/content_hash.hpp"

namespace settle::persistence {

namespace {

constexpr uint32_t format_version = 3;  // 2: typed records; 3: XXH3-64 seal
constexpr size_t record_fields = 17;

struct string_sink {
  std::string& out;
  void write(const char* p, size_t n) { out.append(p, n); }
};

void pack_str(msgpack::packer<string_sink>& pk, std::string_view s) {
  pk.pack_str(static_cast<uint32_t>(s.size()));
  pk.pack_str_body(s.data(), static_cast<uint32_t>(s.size()));
}

bool get(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR)
    return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

template <class Int>
bool get(const msgpack::object& o, Int& out) {
  try {
    out = o.as<Int>();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool decode_record(const msgpack::object& o, journal_record& r) {
  if (o.type != msgpack::type::ARRAY || o.via.array.size != record_fields)
    return false;
  const auto* f = o.via.array.ptr;
  uint8_t type = 0, status = 0, role = 0, kind = 0, outcome = 0;
  bool ok = get(f[0], type) && get(f[1], r.account) && get(f[2], r.currency) &&
            get(f[3], r.at_unix_ms) && get(f[4], status) && get(f[5], role) &&
            get(f[6], kind) && get(f[7], outcome) && get(f[8], r.txn_id) &&
            get(f[9], r.id_namespace) && get(f[10], r.partner) && get(f[11], r.ref) &&
            get(f[12], r.to) && get(f[13], r.fingerprint) && get(f[14], r.amount) &&
            get(f[15], r.balance_after) && get(f[16], r.version_after);
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

bool decode_batch(std::string_view bytes, journal_batch& out, uint64_t& hash, std::string& why) {
  out = journal_batch{};
  constexpr size_t hash_bytes = 9;  // 0xcf + 8 bytes
  if (bytes.size() <= hash_bytes) {
    why = "batch is truncated";
    return false;
  }
  msgpack::object_handle oh;
  try {
    size_t offset = 0;
    msgpack::unpack(oh, bytes.data(), bytes.size(), offset);
    if (offset != bytes.size()) {
      why = "trailing bytes after the batch";
      return false;
    }
  } catch (const std::exception& e) {
    why = std::string{"batch is not valid msgpack ("} + e.what() + ")";
    return false;
  }
  const auto& o = oh.get();
  if (o.type != msgpack::type::ARRAY || o.via.array.size != 6) {
    why = "batch is not a 6-element array";
    return false;
  }
  const auto* f = o.via.array.ptr;
  uint32_t version = 0;
  uint64_t stored_hash = 0;
  if (!get(f[0], version) || version != format_version || !get(f[1], out.shard) ||
      !get(f[2], out.seq) || !get(f[3], out.prev_hash) || !get(f[5], stored_hash) ||
      f[4].type != msgpack::type::ARRAY) {
    why = "batch header is malformed";
    return false;
  }
  hash = ledger::content_hash(bytes.substr(0, bytes.size() - hash_bytes));
  if (hash != stored_hash) {
    why = "checksum mismatch";
    return false;
  }
  out.records.resize(f[4].via.array.size);
  for (uint32_t i = 0; i < f[4].via.array.size; ++i)
    if (!decode_record(f[4].via.array.ptr[i], out.records[i])) {
      why = "record " + std::to_string(i) + " is malformed";
      return false;
    }
  return true;
}

chain_report verify_chain(uint32_t shard, const std::vector<std::string>& stored,
                          std::vector<journal_batch>& out, uint64_t start_hash,
                          uint64_t start_seq) {
  chain_report report;
  report.last_hash = start_hash;
  uint64_t expected_seq = start_seq;
  for (size_t i = 0; i < stored.size(); ++i) {
    journal_batch b;
    uint64_t hash = 0;
    std::string why;
    if (decode_batch(stored[i], b, hash, why)) {
      if (b.shard != shard)
        why = "belongs to shard " + std::to_string(b.shard);
      else if (b.seq != expected_seq)
        why = "sequence " + std::to_string(b.seq) + " where " + std::to_string(expected_seq) +
              " was expected (a batch is missing or out of order)";
      else if (b.prev_hash != report.last_hash)
        why = "previous-batch hash does not match (the chain is broken)";
    }
    if (!why.empty()) {
      report.ok = false;
      report.problem = "journal shard " + std::to_string(shard) + ", batch " +
                       std::to_string(i) + " (sequence " + std::to_string(expected_seq) +
                       "): " + why;
      return report;
    }
    report.last_hash = hash;
    ++report.good_batches;
    ++expected_seq;
    out.push_back(std::move(b));
  }
  return report;
}

}  // namespace settle::persistence
