// settled's HTTP listener (Boost.Beast): the routes it is given (/metrics, /healthz, /readyz)
// and the WebSocket bridge at /ws (http/ws_bridge.hpp). It runs on a thread of its own, never
// on the transaction path's; what it serves reads atomics. A client that is
// slow to send its request or to read the answer is cut off after idle_timeout_ms, like a
// slow subscriber; past max_connections a new connection is answered 503 and closed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace settle::http {

struct listener_options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;                 // 0: a free port (port() tells which)
  uint32_t max_connections = 64;     // open at once
  uint32_t idle_timeout_ms = 10'000; // to read one request, or to write one answer
  uint32_t max_request_bytes = 16 * 1024;  // header and body, each; a /ws message too
  std::string engine_host = "127.0.0.1";  // where /ws connects (the engine's TCP listener)
};

/// What a route answers.
struct reply {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

/// Answers one request (method, target with its query). Runs on the listener's thread.
using router = std::function<reply(const std::string& method, const std::string& target)>;

class listener {
public:
  /// Binds and starts serving. Throws std::runtime_error when it cannot listen.
  listener(listener_options opts, router route);
  ~listener();  // stops serving; open connections are closed
  listener(const listener&) = delete;
  listener& operator=(const listener&) = delete;

  uint16_t port() const;
  /// The engine's TCP port, once it listens: /ws connects there (503 until it is set).
  void set_engine_port(uint16_t port);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace settle::http
