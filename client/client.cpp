#include "client/client.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace settle::client {

using protocol::op_kind;
using protocol::request;
using protocol::response;

std::pair<std::string, uint16_t> parse_host_port(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
    throw client_error("expected HOST:PORT, got '" + text + "'");
  unsigned long port = 0;
  try {
    port = std::stoul(text.substr(colon + 1));
  } catch (const std::exception&) {
    throw client_error("bad port in '" + text + "'");
  }
  if (port == 0 || port > 65535)
    throw client_error("port out of range in '" + text + "'");
  return {text.substr(0, colon), static_cast<uint16_t>(port)};
}

connection::connection(const std::string& host, uint16_t port, uint32_t max_frame_bytes)
    : reader_(max_frame_bytes) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res); rc != 0)
    throw client_error("cannot resolve " + host + ": " + gai_strerror(rc));
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    freeaddrinfo(res);
    throw client_error(std::string{"socket: "} + std::strerror(errno));
  }
  int rc = ::connect(fd_, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0) {
    int err = errno;
    ::close(fd_);
    fd_ = -1;
    throw client_error("cannot connect to " + host + ":" + std::to_string(port) + ": " +
                       std::strerror(err));
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

connection::~connection() {
  if (fd_ >= 0)
    ::close(fd_);
}

uint64_t connection::send(const request& req) {
  uint64_t rid = req.rid != 0 ? req.rid : next_rid_++;
  protocol::encode_request(req, rid, out_);
  return rid;
}

void connection::send(const request& req, uint64_t rid) {
  protocol::encode_request(req, rid, out_);
}

void connection::flush() {
  // Non-blocking sends; while the socket is full, keep reading responses into the frame
  // reader, so a long pipeline cannot deadlock against an engine that is blocked writing
  // answers we are not reading yet.
  size_t off = 0;
  while (off < out_.size()) {
    ssize_t n = ::send(fd_, out_.data() + off, out_.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR)
      continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd p{fd_, POLLOUT | POLLIN, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR)
        throw client_error(std::string{"poll: "} + std::strerror(errno));
      if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
        read_some(0);
        if (closed_) {
          out_.clear();
          throw client_error("connection closed by the server");
        }
      }
      continue;
    }
    int err = errno;
    out_.clear();
    closed_ = true;
    throw client_error(std::string{"send: "} + std::strerror(err));
  }
  out_.clear();
}

void connection::send_raw(const std::string& bytes) {
  out_.insert(out_.end(), bytes.begin(), bytes.end());
  flush();
}

bool connection::read_some(int timeout_ms) {
  pollfd p{fd_, POLLIN, 0};
  int rc = ::poll(&p, 1, timeout_ms);
  if (rc < 0 && errno != EINTR)
    throw client_error(std::string{"poll: "} + std::strerror(errno));
  if (rc <= 0)
    return false;
  char buf[64 * 1024];
  ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
  if (n < 0) {
    if (errno == EINTR || errno == EAGAIN)
      return false;
    if (errno == ECONNRESET) {
      closed_ = true;
      return false;
    }
    throw client_error(std::string{"recv: "} + std::strerror(errno));
  }
  if (n == 0) {
    closed_ = true;
    return false;
  }
  reader_.feed(buf, static_cast<size_t>(n));
  return true;
}

std::optional<response> connection::receive(int timeout_ms) {
  if (!pending_.empty()) {
    auto r = std::move(pending_.front());
    pending_.erase(pending_.begin());
    return r;
  }
  return read_frame(timeout_ms);
}

connection::got connection::read_next(int timeout_ms, response& out) {
  using clock = std::chrono::steady_clock;
  // The deadline is read off the clock only when a wait is needed: a pipelined client
  // usually finds its answers already buffered.
  std::optional<clock::time_point> deadline;
  for (;;) {
    std::string_view body;
    auto st = reader_.next(body);
    if (st == protocol::frame_reader::status::frame) {
      std::string why;
      if (protocol::is_event(body)) {
        protocol::event e;
        if (!protocol::decode_event(body, e, why))
          throw client_error("undecodable event: " + why);
        events_.push_back(std::move(e));
        return got::event;
      }
      out = response{};
      if (!protocol::decode_response(body, out, why))
        throw client_error("undecodable response: " + why);
      return got::response;
    }
    if (st != protocol::frame_reader::status::need_more)
      throw client_error(st == protocol::frame_reader::status::too_large
                             ? "response frame larger than the frame limit"
                             : "empty response frame");
    if (closed_)
      throw client_error("connection closed by the server");
    int wait = -1;
    if (timeout_ms >= 0) {
      if (!deadline)
        deadline = clock::now() + std::chrono::milliseconds(timeout_ms);
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock::now());
      wait = left.count() > 0 ? static_cast<int>(left.count()) : 0;
    }
    if (!read_some(wait)) {
      if (closed_)
        throw client_error("connection closed by the server");
      if (timeout_ms >= 0 && clock::now() >= deadline)
        return got::timeout;
    }
  }
}

std::optional<response> connection::read_frame(int timeout_ms) {
  response r;
  for (;;) {
    switch (read_next(timeout_ms, r)) {
      case got::response:
        return r;
      case got::timeout:
        return std::nullopt;  // no complete response in time
      case got::event:
        break;  // kept for next_event(); a timeout restarts, which only lengthens the wait
    }
  }
}

std::optional<protocol::event> connection::next_event(int timeout_ms) {
  response r;
  while (events_.empty()) {
    switch (read_next(timeout_ms, r)) {
      case got::response:
        pending_.push_back(std::move(r));
        break;
      case got::timeout:
        return std::nullopt;
      case got::event:
        break;
    }
  }
  auto e = std::move(events_.front());
  events_.pop_front();
  return e;
}

response connection::call(request req) {
  auto op = req.op;
  auto rid = send(std::move(req));
  flush();
  for (;;) {
    auto r = read_frame(-1);
    if (r->rid == rid) {
      r->op = op;  // the keys alone do not always say which op a response answers
      return std::move(*r);
    }
    pending_.push_back(std::move(*r));  // someone else's answer: keep it for receive()
  }
}

namespace {
request make(op_kind op) {
  request r;
  r.op = op;
  return r;
}
}  // namespace

response connection::hello(const std::string& token) {
  auto r = make(op_kind::hello);
  r.token = token;
  return call(std::move(r));
}
response connection::open(const std::string& account, const std::string& currency) {
  auto r = make(op_kind::open);
  r.account = account;
  r.currency = currency;
  return call(std::move(r));
}
response connection::balance(const std::string& account) {
  auto r = make(op_kind::balance);
  r.account = account;
  return call(std::move(r));
}
response connection::partner(const std::string& partner) {
  auto r = make(op_kind::partner);
  r.partner = partner;
  return call(std::move(r));
}
response connection::block(const std::string& account) {
  auto r = make(op_kind::block);
  r.account = account;
  return call(std::move(r));
}
response connection::unblock(const std::string& account) {
  auto r = make(op_kind::unblock);
  r.account = account;
  return call(std::move(r));
}

response connection::snapshot() {
  return call(make(op_kind::snapshot));
}
response connection::subscribe(const std::vector<std::string>& accounts,
                               const std::vector<std::string>& partners, bool all) {
  auto r = make(op_kind::subscribe);
  r.accounts = accounts;
  r.partners = partners;
  r.all = all;
  return call(std::move(r));
}
response connection::unsubscribe(uint64_t subscription) {
  auto r = make(op_kind::unsubscribe);
  r.subscription = subscription;
  return call(std::move(r));
}
response connection::txn(const request& txn_fields) {
  auto r = txn_fields;
  r.op = op_kind::txn;
  r.rid = 0;
  return call(std::move(r));
}

}  // namespace settle::client
