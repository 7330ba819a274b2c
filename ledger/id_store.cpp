#include "ledger/id_store.hpp"

#include <cassert>

#include "ledger/stable_hash.hpp"

namespace settle::ledger {

uint64_t fingerprint(const protocol::request& txn) {
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

std::string_view id_namespace(const protocol::request& txn) {
  switch (txn.kind) {
    case txn_kind::bet:
    case txn_kind::win:
    case txn_kind::rollback:
      return txn.partner;
    default:
      return {};
  }
}

id_entry* id_store::find(const std::string& key) {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

id_entry& id_store::insert(std::string key, id_entry entry) {
  auto [it, added] = entries_.emplace(std::move(key), std::move(entry));
  assert(added && "id_store::insert on an existing key");
  (void)added;
  return it->second;
}

void id_store::erase(const std::string& key) {
  auto it = entries_.find(key);
  if (it != entries_.end())
    entries_.erase(it);
}

size_t id_store::expire(int64_t now_s, int64_t retention_s) {
  size_t dropped = 0;
  for (auto it = entries_.begin(); it != entries_.end();) {
    // Pending entries have a transaction in flight: never drop them.
    if (it->second.state != id_state::pending && now_s - it->second.created_at_s > retention_s) {
      entries_.erase(it++);
      ++dropped;
    } else {
      ++it;
    }
  }
  return dropped;
}

}  // namespace settle::ledger
