#include "bench/recovery/redis_info.hpp"

#include <string>
#include <string_view>

#include "persistence/redis_connection.hpp"

namespace settle::bench::recovery {

uint64_t redis_used_memory_bytes(const persistence::redis_address& addr) {
  // Informative only: a Redis that cannot be reached or answers oddly reports 0.
  auto c = persistence::redis_connection::try_connect(addr);
  if (!c)
    return 0;
  c->append({"INFO", "memory"});
  auto r = c->read_reply();
  if (!r || r->type != REDIS_REPLY_STRING)  // RESP2: a bulk string
    return 0;
  std::string_view info = persistence::reply_text(r.get());
  const std::string_view key = "used_memory:";
  auto at = info.find(key);
  if (at == std::string_view::npos)
    return 0;
  return std::stoull(std::string{info.substr(at + key.size(), 24)});
}

}  // namespace settle::bench::recovery
