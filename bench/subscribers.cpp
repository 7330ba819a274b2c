#include "bench/subscribers.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

#include <fmt/format.h>

#include "client/client.hpp"
#include "client/json_output.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace settle::bench {

namespace {

using clock_type = std::chrono::steady_clock;

/// `k` distinct players of 0..accounts-1, drawn uniformly (all of them when k >= accounts).
std::vector<std::string> draw_players(int accounts, int k, uint64_t seed) {
  std::vector<std::string> out;
  if (k >= accounts) {
    for (int i = 0; i < accounts; ++i)
      out.push_back(player_id(static_cast<uint64_t>(i)));
    return out;
  }
  fast_rng rng{seed};
  std::unordered_set<uint64_t> picked;
  while (static_cast<int>(picked.size()) < k) {
    uint64_t i = rng() % static_cast<uint64_t>(accounts);
    if (picked.insert(i).second)
      out.push_back(player_id(i));
  }
  return out;
}

}  // namespace

/// One subscriber connection. client::connection opens it and says hello (its answer is the
/// only frame the engine sends before a subscribe, so nothing is left in the connection's
/// buffers); from the subscribe on, its bytes go through `reader` here.
struct subscriber_pool::subscriber {
  int index = 0;
  std::unique_ptr<client::connection> conn;  // owns the socket
  protocol::frame_reader reader;
  bool answered = false;     // the subscribe was answered ok
  std::string refusal;       // the subscribe was refused: why
  bool open = true;
  std::string closed_reason;  // once !open: why the stream ended
  std::string last_event;    // the latest event frame body (a `closed` one names the reason)
};

subscriber_pool::subscriber_pool(subscriber_options o, const workload_options& load)
    : o_(std::move(o)), load_(load), buf_(256 * 1024) {
  stats_.subscribers = o_.subscribers;
  stats_.accounts_each = o_.accounts_each;
}

subscriber_pool::~subscriber_pool() {
  stop();
}

void subscriber_pool::prepare() {
  auto [host, port] = client::parse_host_port(o_.connect);
  std::vector<char> frame;
  for (int i = 0; i < o_.subscribers; ++i) {
    auto s = std::make_unique<subscriber>();
    s->index = i;
    s->conn = std::make_unique<client::connection>(host, port);
    if (!o_.token.empty()) {
      auto h = s->conn->hello(o_.token);
      if (!h.ok())
        throw std::runtime_error(fmt::format("subscriber {}: hello refused: {}: {}", i,
                                             protocol::to_string(h.error), h.message));
    }
    if (s->conn->response_ready() || s->conn->events_buffered() > 0)
      throw std::logic_error("subscriber: unexpected frames after hello");
    protocol::request sub;
    sub.op = protocol::op_kind::subscribe;
    sub.accounts = draw_players(load_.accounts, o_.accounts_each,
                                0x5eedull * 7919 + static_cast<uint64_t>(i));
    sub.partners = {partner_id(static_cast<uint64_t>(i % load_.partners))};
    frame.clear();
    protocol::encode_request(sub, 1, frame);
    s->conn->send_raw(std::string{frame.data(), frame.size()});
    fds_.push_back({s->conn->fd(), POLLIN, 0});
    subs_.push_back(std::move(s));
  }
  // All subscribes are in flight: wait for their answers (the current states they send
  // count as events, outside any measured window).
  auto deadline = clock_type::now() + std::chrono::seconds(30);
  for (;;) {
    size_t pending = 0;
    for (auto& s : subs_) {
      if (!s->refusal.empty())
        throw std::runtime_error(
            fmt::format("subscriber {}: subscribe refused: {}", s->index, s->refusal));
      if (!s->open)
        throw std::runtime_error(fmt::format(
            "subscriber {}: connection closed before the subscribe was answered: {}", s->index,
            s->closed_reason));
      pending += s->answered ? 0 : 1;
    }
    if (pending == 0)
      return;
    if (clock_type::now() >= deadline)
      throw std::runtime_error(
          fmt::format("subscribers: {} subscribes unanswered after 30 s", pending));
    pump(100);
  }
}

void subscriber_pool::start(time_point measure_from, time_point stop_at) {
  measure_from_ = measure_from;
  stop_at_ = stop_at;
  drain_ = std::thread([this] {
    try {
      while (!stopping_.load(std::memory_order_relaxed))
        pump(50);
    } catch (const std::exception& e) {
      stats_.failure = e.what();
    }
  });
}

void subscriber_pool::stop() {
  stopping_ = true;
  if (drain_.joinable())
    drain_.join();
  double window = std::chrono::duration<double>(stop_at_ - measure_from_).count();
  stats_.events_per_s = window > 0 ? static_cast<double>(stats_.events) / window : 0.0;
  stats_.closed.clear();
  for (auto& s : subs_) {
    // A `closed` event read before the engine's disconnect reached us counts too.
    protocol::event e;
    std::string why;
    if (s->open && !s->last_event.empty() && protocol::decode_event(s->last_event, e, why) &&
        e.kind == protocol::event_kind::closed)
      close(*s, e.reason);
    if (!s->open && s->answered)
      stats_.closed.emplace_back(s->index, s->closed_reason);
  }
}

void subscriber_pool::pump(int timeout_ms) {
  int n = ::poll(fds_.data(), fds_.size(), timeout_ms);
  if (n < 0 && errno != EINTR)
    throw std::runtime_error(std::string{"subscribers: poll failed: "} + std::strerror(errno));
  if (n <= 0)
    return;
  for (size_t i = 0; i < fds_.size(); ++i)
    if (fds_[i].fd >= 0 && fds_[i].revents != 0)
      read_from(*subs_[i]);
}

void subscriber_pool::read_from(subscriber& s) {
  ssize_t n = ::recv(s.conn->fd(), buf_.data(), buf_.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (n <= 0) {
    protocol::event e;
    std::string why;
    if (!s.last_event.empty() && protocol::decode_event(s.last_event, e, why) &&
        e.kind == protocol::event_kind::closed)
      close(s, e.reason);
    else
      close(s, n == 0 ? "connection closed without a closed event"
                      : std::string{"recv: "} + std::strerror(errno));
    return;
  }
  // Events read in this turn arrived by now: one clock read for all of them.
  auto now = clock_type::now();
  const bool measured = now >= measure_from_ && now < stop_at_;  // never before start()
  s.reader.feed(buf_.data(), static_cast<size_t>(n));
  std::string_view body;
  protocol::frame_reader::status st;
  while ((st = s.reader.next(body)) == protocol::frame_reader::status::frame) {
    if (protocol::is_event(body)) {
      ++stats_.events_total;
      stats_.events += measured ? 1 : 0;
      s.last_event.assign(body);  // reuses its buffer: no allocation per event
      continue;
    }
    // A response: only the subscribe's is expected.
    protocol::response r;
    std::string why;
    if (!protocol::decode_response(body, r, why))
      s.refusal = "undecodable response: " + why;
    else if (!r.ok())
      s.refusal = fmt::format("{}: {}", protocol::to_string(r.error), r.message);
    else
      s.answered = true;
  }
  if (st != protocol::frame_reader::status::need_more)
    close(s, st == protocol::frame_reader::status::too_large ? "frame larger than the limit"
                                                             : "empty frame");
}

void subscriber_pool::close(subscriber& s, std::string reason) {
  if (!s.open)
    return;
  s.open = false;
  s.closed_reason = std::move(reason);
  fds_[static_cast<size_t>(s.index)].fd = -1;  // poll() skips negative fds
}

std::string subscriber_pool::to_text() const {
  // The first few closed streams by name (a slow drain closes many, for the same reason).
  std::string closed = stats_.closed.empty() ? "none" : std::to_string(stats_.closed.size());
  const size_t shown = std::min<size_t>(stats_.closed.size(), 3);
  for (size_t k = 0; k < shown; ++k)
    closed += fmt::format("{}#{}: {}", k == 0 ? " (" : "; ", stats_.closed[k].first,
                          stats_.closed[k].second);
  if (shown > 0)
    closed += stats_.closed.size() > shown ? "; ...)" : ")";
  return fmt::format(
      "subscribers {} x ({} players + 1 partner): {} events in the measured window, {:.0f} "
      "events/s ({} in all); closed by the engine: {}{}",
      stats_.subscribers, stats_.accounts_each, stats_.events, stats_.events_per_s,
      stats_.events_total, closed,
      stats_.failure.empty() ? "" : "; reading stopped early: " + stats_.failure);
}

std::string subscriber_pool::json_members() const {
  std::string closed;
  for (auto& [i, reason] : stats_.closed)
    closed += fmt::format("{}{{\"subscriber\":{},\"reason\":{}}}", closed.empty() ? "" : ",", i,
                          client::json_quote(reason));
  return fmt::format(
      ",\"subscribers\":{},\"subscriber_accounts\":{},\"events\":{},\"events_per_s\":{:.1f},"
      "\"events_total\":{},\"subscribers_closed\":[{}]{}",
      stats_.subscribers, stats_.accounts_each, stats_.events, stats_.events_per_s,
      stats_.events_total, closed,
      stats_.failure.empty() ? ""
                             : ",\"subscribers_failure\":" + client::json_quote(stats_.failure));
}

}  // namespace settle::bench
