#include "ledger/id_store.hpp"

#include <cassert>
#include <cstring>

#include <xxhash.h>

#include "ledger/stable_hash.hpp"

namespace settle::ledger {

uint64_t fingerprint(const protocol::request& txn) {
  return fingerprint(protocol::view_of(txn));
}

uint64_t fingerprint(const protocol::request_view& txn) {
  stable_hasher h;
  h.add(static_cast<uint64_t>(txn.kind))
      .add(txn.account)
      .add(static_cast<uint64_t>(txn.amount))
      .add(static_cast<uint64_t>(txn.has_amount))
      .add(txn.currency)
      .add(txn.partner)
      .add(txn.round)
      .add(txn.game)
      .add(txn.ref)
      .add(txn.to);
  return h.value();
}

std::string id_key(std::string_view ns, std::string_view id) {
  std::string key;
  key.reserve(ns.size() + 1 + id.size());
  key.append(ns).push_back('\0');  // '\0' never occurs in a partner id
  key.append(id);
  return key;
}

id_hash hash_id_key(std::string_view key) {
  auto h = XXH3_128bits(key.data(), key.size());
  return {h.high64, h.low64};
}

id_hash hash_id(std::string_view ns, std::string_view id) {
  // The id_key bytes on the stack: ids and partners are at most 64 bytes each (protocol).
  char buf[256];
  if (ns.size() + 1 + id.size() > sizeof buf)
    return hash_id_key(id_key(ns, id));
  if (!ns.empty())  // an empty view may hold a null pointer, which memcpy must not get
    std::memcpy(buf, ns.data(), ns.size());
  buf[ns.size()] = '\0';
  if (!id.empty())
    std::memcpy(buf + ns.size() + 1, id.data(), id.size());
  return hash_id_key(std::string_view{buf, ns.size() + 1 + id.size()});
}

std::string_view id_namespace(const protocol::request& txn) {
  return id_namespace(protocol::view_of(txn));
}

std::string_view id_namespace(const protocol::request_view& txn) {
  switch (txn.kind) {
    case txn_kind::bet:
    case txn_kind::win:
    case txn_kind::rollback:
      return txn.partner;
    default:
      return {};
  }
}

id_store::id_store(size_t stripes) {
  // A power of two, at least two: the stripe is the top `bits` bits of the hash.
  unsigned bits = 1;
  while ((size_t{1} << bits) < stripes)
    ++bits;
  stripes_ = std::vector<stripe>(size_t{1} << bits);
  shift_ = 64 - bits;
}

void id_store::reserve(size_t total) {
  const size_t per_stripe = total / stripes_.size() + total / stripes_.size() / 8 + 1;
  for (auto& s : stripes_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    s.entries.reserve(per_stripe);
  }
}

void id_store::put(const id_hash& key, id_entry entry) {
  with(key, [&](map& m) { m.insert_or_assign(key, std::move(entry)); });
}

size_t id_store::expire(int64_t now_s, int64_t retention_s, size_t first, size_t step) {
  size_t dropped = 0;
  for (size_t i = first; i < stripes_.size(); i += step == 0 ? 1 : step) {
    std::lock_guard<std::mutex> lock(stripes_[i].mutex);
    // Pending entries have a transaction in flight: never drop them.
    dropped += absl::erase_if(stripes_[i].entries, [&](const auto& kv) {
      return kv.second.state != id_state::pending &&
             now_s - kv.second.created_at_s > retention_s;
    });
  }
  return dropped;
}

size_t id_store::size() const {
  size_t n = 0;
  for (const auto& s : stripes_) {
    std::lock_guard<std::mutex> lock(s.mutex);
    n += s.entries.size();
  }
  return n;
}

}  // namespace settle::ledger
