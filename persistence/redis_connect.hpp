// Internal to persistence/: one blocking hiredis connection with a connect and command timeout.
#pragma once

#include <cstdint>
#include <string>

struct redisContext;

namespace settle::persistence {

/// Connects to `unix_socket` when set, else host:port; `timeout_ms` bounds the connect and
/// every later command. Null when Redis cannot be reached.
redisContext* open_redis(const std::string& unix_socket, const std::string& host, uint16_t port,
                         uint32_t timeout_ms);

}  // namespace settle::persistence
