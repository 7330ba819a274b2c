#include "http/webhook_sender.hpp"

#include <chrono>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace settle::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;

webhook_sender::webhook_sender(webhook_options opts) : opts_(std::move(opts)) {
  thread_ = std::thread([this] { run(); });
}

webhook_sender::~webhook_sender() {
  {
    std::lock_guard lock{mutex_};
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool webhook_sender::post(std::string body) {
  {
    std::lock_guard lock{mutex_};
    if (queue_.size() >= opts_.max_queue) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back(std::move(body));
  }
  wake_.notify_one();
  return true;
}

bool webhook_sender::pause(uint32_t ms) {
  std::unique_lock lock{mutex_};
  return !wake_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
}

void webhook_sender::run() {
  for (;;) {
    std::string body;
    {
      std::unique_lock lock{mutex_};
      wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_)
        return;
      body = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string why;
    uint32_t wait_ms = opts_.retry_ms;
    for (uint32_t attempt = 1;; ++attempt) {
      why = post_once(body);
      if (why.empty()) {
        sent_.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      if (attempt >= opts_.max_attempts) {
        failed_.fetch_add(1, std::memory_order_relaxed);
        if (opts_.log)
          opts_.log("alert webhook: gave up after " + std::to_string(attempt) +
                    " attempts: " + why + "; the alert was: " + body);
        break;
      }
      if (!pause(wait_ms))
        return;
      wait_ms = std::min<uint32_t>(wait_ms * 2, 600'000);
    }
  }
}

std::string webhook_sender::post_once(const std::string& body) {
  // Asynchronous operations on a private io_context: beast::tcp_stream's timeout covers the
  // whole exchange only for them.
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  net::ip::tcp::resolver resolver{ioc};
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, opts_.target, 11};
  req.set(bhttp::field::host, opts_.host);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "settled alert webhook");
  req.body() = body;
  req.prepare_payload();
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  std::string why = "no answer";
  stream.expires_after(std::chrono::milliseconds(opts_.timeout_ms));
  auto fail = [&](const char* step, beast::error_code ec) {
    why = std::string{step} + ": " + ec.message();
  };
  resolver.async_resolve(opts_.host, std::to_string(opts_.port), [&](beast::error_code ec,
                                                                      auto results) {
    if (ec)
      return fail("resolve", ec);
    stream.async_connect(results, [&](beast::error_code ec, auto) {
      if (ec)
        return fail("connect", ec);
      bhttp::async_write(stream, req, [&](beast::error_code ec, size_t) {
        if (ec)
          return fail("send", ec);
        bhttp::async_read(stream, buffer, res, [&](beast::error_code ec, size_t) {
          if (ec)
            return fail("answer", ec);
          why = res.result_int() / 100 == 2
                    ? ""
                    : "the receiver answered " + std::to_string(res.result_int());
        });
      });
    });
  });
  ioc.run();
  beast::error_code ignored;
  stream.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  return why;
}

}  // namespace settle::http
