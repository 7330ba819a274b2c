#include "bench/recovery/redis_info.hpp"

#include <string>
#include <string_view>

#include <hiredis/hiredis.h>

namespace settle::bench::recovery {

uint64_t redis_used_memory_bytes(const persistence::redis_address& addr) {
  timeval tv{static_cast<time_t>(addr.timeout_ms / 1000),
             static_cast<suseconds_t>((addr.timeout_ms % 1000) * 1000)};
  redisContext* c = addr.unix_socket.empty()
                        ? redisConnectWithTimeout(addr.host.c_str(), addr.port, tv)
                        : redisConnectUnixWithTimeout(addr.unix_socket.c_str(), tv);
  if (c == nullptr)
    return 0;
  uint64_t bytes = 0;
  if (c->err == 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c, "INFO memory"));
    if (r != nullptr && r->type == REDIS_REPLY_STRING) {  // RESP2: a bulk string
      std::string_view info{r->str, r->len};
      const std::string_view key = "used_memory:";
      if (auto at = info.find(key); at != std::string_view::npos)
        bytes = std::stoull(std::string{info.substr(at + key.size(), 24)});
    }
    if (r != nullptr)
      freeReplyObject(r);
  }
  redisFree(c);
  return bytes;
}

}  // namespace settle::bench::recovery
