#include "http/listener.hpp"

#include <array>
#include <atomic>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "http/ws_bridge.hpp"

namespace settle::http {

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

/// One of max_connections, held while a connection (or the WebSocket it became) is open.
struct open_slot {
  explicit open_slot(std::shared_ptr<std::atomic<uint32_t>> n) : open(std::move(n)) {}
  ~open_slot() { open->fetch_sub(1); }
  std::shared_ptr<std::atomic<uint32_t>> open;
};

/// One HTTP connection: read a request, answer it, again while the client keeps it alive; an
/// upgrade at /ws hands the socket to the WebSocket bridge.
class connection : public std::enable_shared_from_this<connection> {
public:
  connection(tcp::socket socket, const listener_options& opts, const router& route,
             const ws_target& ws, std::shared_ptr<open_slot> slot, bool over_limit)
      : stream_(std::move(socket)), opts_(opts), route_(route), ws_(ws), slot_(std::move(slot)),
        over_limit_(over_limit) {}

  /// Over the limit the answer goes out at once (no request is waited for) and the
  /// connection closes: a flood of connections holds no socket longer than a write.
  void start() {
    if (!over_limit_)
      return read();
    answer({503, "text/plain; charset=utf-8",
            "too many HTTP connections (max_connections " +
                std::to_string(opts_.max_connections) + ")\n"},
           false, 11, false);
  }

private:
  void read() {
    parser_.emplace();
    parser_->header_limit(opts_.max_request_bytes);
    parser_->body_limit(opts_.max_request_bytes);
    stream_.expires_after(std::chrono::milliseconds(opts_.idle_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&connection::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, size_t) {
    if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit)
      return answer({413, "text/plain; charset=utf-8",
                     "request larger than max_request_bytes (" +
                         std::to_string(opts_.max_request_bytes) + ")\n"},
                    false, 11);
    if (ec)
      return;  // closed, timed out (a slow client) or garbage: dropped
    const auto& req = parser_->get();
    const std::string target{req.target()};
    if (target.substr(0, target.find('?')) == "/ws") {
      if (!beast::websocket::is_upgrade(req))
        return answer({426, "text/plain; charset=utf-8", "/ws is a WebSocket\n"}, false,
                      req.version());
      if (!ws_.engine_port || ws_.engine_port->load() == 0)
        return answer({503, "text/plain; charset=utf-8", "not ready: recovering\n"}, false,
                      req.version());
      return start_ws_bridge(stream_.release_socket(), parser_->release(), ws_, slot_);
    }
    reply r = route_(std::string{req.method_string()}, target);
    answer(std::move(r), req.keep_alive(), req.version(), req.method() == bhttp::verb::head);
  }

  /// Writes `r`; for a HEAD request its header only (the length of the body it would have).
  void answer(reply r, bool keep_alive, unsigned version, bool head = false) {
    res_ = {};
    res_.version(version);
    res_.result(static_cast<bhttp::status>(r.status));
    res_.set(bhttp::field::server, "settled");
    res_.set(bhttp::field::content_type, r.content_type);
    res_.set(bhttp::field::cache_control, "no-store");
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    if (head)
      res_.body().clear();  // Content-Length stays that of the body a GET would get
    stream_.expires_after(std::chrono::milliseconds(opts_.idle_timeout_ms));
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&connection::on_write, shared_from_this()));
  }

  void on_write(beast::error_code ec, size_t) {
    if (ec)
      return;
    if (!res_.keep_alive()) {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      return drain();
    }
    read();
  }

  /// After the last answer: reads what the client still sends until it closes (at most a
  /// second), so closing does not reset the connection before the client read the answer.
  void drain() {
    stream_.expires_after(std::chrono::seconds(1));
    stream_.async_read_some(net::buffer(drain_buf_),
                            [self = shared_from_this()](beast::error_code ec, size_t) {
                              if (!ec)
                                self->drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::array<char, 4096> drain_buf_{};
  const listener_options& opts_;
  const router& route_;
  const ws_target& ws_;
  std::shared_ptr<open_slot> slot_;
  bool over_limit_;
};

}  // namespace

struct listener::impl {
  listener_options opts;
  router route;
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  std::shared_ptr<std::atomic<uint32_t>> open = std::make_shared<std::atomic<uint32_t>>(0);
  ws_target ws;
  std::thread thread;

  net::steady_timer retry{io};

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted)
        return;  // stopping
      if (ec) {
        // Out of descriptors (EMFILE) or the like: wait a moment rather than spin.
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code e) {
          if (!e)
            accept();
        });
        return;
      }
      {
        const bool over = open->fetch_add(1) >= opts.max_connections;
        auto slot = std::make_shared<open_slot>(open);
        std::make_shared<connection>(std::move(socket), opts, route, ws, std::move(slot), over)
            ->start();
      }
      accept();
    });
  }
};

listener::listener(listener_options opts, router route) : impl_(std::make_unique<impl>()) {
  impl_->opts = std::move(opts);
  impl_->route = std::move(route);
  impl_->ws.engine_host = impl_->opts.engine_host;
  impl_->ws.engine_port = std::make_shared<std::atomic<uint16_t>>(0);
  impl_->ws.max_message_bytes = impl_->opts.max_request_bytes;
  beast::error_code ec;
  const auto address = net::ip::make_address(impl_->opts.host, ec);
  if (ec)
    throw std::runtime_error("http: '" + impl_->opts.host + "' is not an IP address");
  const tcp::endpoint at{address, impl_->opts.port};
  auto& a = impl_->acceptor;
  a.open(at.protocol(), ec);
  if (!ec)
    a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec)
    a.bind(at, ec);
  if (!ec)
    a.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("http: cannot listen on " + impl_->opts.host + ":" +
                             std::to_string(impl_->opts.port) + ": " + ec.message());
  impl_->accept();
  impl_->thread = std::thread([this] {
    // A handler that throws must not end the listener (nor, escaping, the process).
    for (;;) {
      try {
        impl_->io.run();
        return;
      } catch (const std::exception&) {
        continue;
      }
    }
  });
}

listener::~listener() {
  net::post(impl_->io, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
  });
  impl_->io.stop();
  if (impl_->thread.joinable())
    impl_->thread.join();
}

uint16_t listener::port() const { return impl_->acceptor.local_endpoint().port(); }

void listener::set_engine_port(uint16_t port) { impl_->ws.engine_port->store(port); }

}  // namespace settle::http
