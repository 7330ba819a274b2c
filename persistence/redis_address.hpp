// Where Redis is, and how long to wait for it. Its own header (no hiredis) so that options
// structs can hold one; the connection itself is persistence/redis_connection.hpp.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace settle::persistence {

/// A Redis server: a Unix socket or host:port.
struct redis_address {
  std::string unix_socket;  // used when set, else host:port
  std::string host = "127.0.0.1";
  uint16_t port = 6379;
  uint32_t timeout_ms = 5000;  // connect and per-command timeout; 0: wait forever

  /// "unix:/path" or "host:port" (the form of settled's --redis), for messages.
  std::string name() const {
    return unix_socket.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_socket;
  }

  /// Parses "unix:/path" or "HOST:PORT". Throws std::invalid_argument naming the text.
  static redis_address parse(std::string_view text) {
    redis_address a;
    if (text.starts_with("unix:")) {
      a.unix_socket = std::string{text.substr(5)};
      if (a.unix_socket.empty())
        throw std::invalid_argument("Redis address '" + std::string{text} +
                                    "' names no socket");
      return a;
    }
    auto colon = text.rfind(':');
    unsigned long port = 0;
    std::string digits{colon == std::string_view::npos ? "" : text.substr(colon + 1)};
    bool numeric = !digits.empty() && digits.size() <= 5 &&
                   digits.find_first_not_of("0123456789") == std::string::npos;
    if (numeric)
      port = std::stoul(digits);
    if (colon == 0 || !numeric || port == 0 || port > 65535)
      throw std::invalid_argument("Redis address '" + std::string{text} +
                                  "' is not HOST:PORT or unix:/path");
    a.host = std::string{text.substr(0, colon)};
    a.port = static_cast<uint16_t>(port);
    return a;
  }
};

}  // namespace settle::persistence
