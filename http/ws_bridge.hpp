// /ws: the TCP protocol's requests and events as JSON over a WebSocket, for the dashboard. Each
// WebSocket gets a protocol v1 connection of its own to this engine's TCP listener and the
// bridge translates, message for message: a JSON object from the browser becomes the msgpack
// map with the same keys (a frame), every frame from the engine the JSON object with the same
// keys. So a browser does exactly what a TCP client may (hello with a token first, the same
// roles: a viewer sees, only an admin acts), and every rule, limit and slow-subscriber policy
// is the engine's own; nothing here knows an op. Internal to http/.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http.hpp>

namespace settle::http {

/// Where the bridge connects, and its bounds.
struct ws_target {
  std::string engine_host = "127.0.0.1";
  std::shared_ptr<std::atomic<uint16_t>> engine_port;  // 0: not listening yet (503)
  uint32_t max_message_bytes = 16 * 1024;  // a message from the browser (more: closed, 1009)
  uint32_t max_frame_bytes = 64u << 20;    // a frame from the engine
};

/// Takes over `socket`, whose upgrade request `req` was read, and runs the bridge until either
/// side closes. `slot` is released when it ends (the listener's connection count).
void start_ws_bridge(boost::asio::ip::tcp::socket socket,
                     boost::beast::http::request<boost::beast::http::string_body> req,
                     const ws_target& target, std::shared_ptr<void> slot);

}  // namespace settle::http
