// A small blocking/pipelined TCP client for protocol v1, on the protocol/ codec.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/codec.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace settle::client {

/// Thrown on connection failures, closed connections and undecodable responses.
struct client_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One TCP connection to `settled`. Not thread-safe: use one per thread.
///
/// Blocking use: `call(req)` sends one request and waits for its response.
/// Pipelined use: `send(req)` any number of times (rids assigned if 0), `flush()`, then
/// `receive()` responses in whatever order the engine answers.
class connection {
public:
  /// Connects to host:port (IPv4 literal or "localhost"). Throws client_error.
  connection(const std::string& host, uint16_t port,
             uint32_t max_frame_bytes = protocol::default_max_frame_bytes);
  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Sends `req` and waits for the response with the same rid (other responses received
  /// meanwhile are kept for later receive() calls).
  protocol::response call(protocol::request req);

  /// Queues `req` (assigning the next rid when req.rid == 0); returns the rid used.
  uint64_t send(const protocol::request& req);
  /// Queues `req` under `rid` (whatever req.rid says).
  void send(const protocol::request& req, uint64_t rid);
  /// Writes all queued requests to the socket.
  void flush();
  /// Waits for the next response (timeout_ms < 0: forever). std::nullopt on timeout.
  std::optional<protocol::response> receive(int timeout_ms = -1);

  /// True if receive() can return a response without reading the socket (lets pipelined
  /// callers flush once per batch of responses instead of once per response).
  bool response_ready() const { return !pending_.empty() || reader_.frame_ready(); }

  /// Waits for the next event (subscriptions; timeout_ms < 0: forever). Responses read
  /// meanwhile are kept for receive(). std::nullopt on timeout. Throws client_error once the
  /// connection is closed and every event before the close was returned.
  std::optional<protocol::event> next_event(int timeout_ms = -1);
  /// Events received and not yet returned by next_event().
  size_t events_buffered() const { return events_.size(); }

  /// Writes raw bytes (tests use this for malformed frames).
  void send_raw(const std::string& bytes);
  /// True when the peer closed the connection (detected by the last receive).
  bool closed() const { return closed_; }

  // Convenience wrappers around call(); they return the response, errors included.
  protocol::response hello(const std::string& token);
  protocol::response open(const std::string& account, const std::string& currency);
  protocol::response balance(const std::string& account);
  protocol::response partner(const std::string& partner);
  protocol::response block(const std::string& account);
  protocol::response unblock(const std::string& account);
  protocol::response snapshot();
  protocol::response subscribe(const std::vector<std::string>& accounts,
                               const std::vector<std::string>& partners, bool all = false);
  protocol::response unsubscribe(uint64_t subscription);
  protocol::response txn(const protocol::request& txn_fields);  // op forced to txn

  int fd() const { return fd_; }

private:
  enum class got { response, event, timeout };
  bool read_some(int timeout_ms);
  /// Reads until one frame is complete: a response into `out`, or an event into events_.
  got read_next(int timeout_ms, protocol::response& out);
  std::optional<protocol::response> read_frame(int timeout_ms);
  int fd_ = -1;
  uint64_t next_rid_ = 1;
  bool closed_ = false;
  std::vector<char> out_;
  protocol::frame_reader reader_;
  std::vector<protocol::response> pending_;  // received but not yet returned
  std::deque<protocol::event> events_;       // received but not yet returned
};

/// Parses "HOST:PORT"; throws client_error on a bad address.
std::pair<std::string, uint16_t> parse_host_port(const std::string& text);

}  // namespace settle::client
