#include "http/ws_bridge.hpp"

#include <array>
#include <deque>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "protocol/frame.hpp"

namespace settle::http {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using json = nlohmann::json;

/// A protocol v1 frame of `body`: its length, big-endian, then the bytes.
std::string frame_of(const std::vector<uint8_t>& body) {
  std::string f(4, '\0');
  const auto n = static_cast<uint32_t>(body.size());
  for (int i = 0; i < 4; ++i)
    f[static_cast<size_t>(i)] = static_cast<char>(n >> (24 - 8 * i));
  f.append(body.begin(), body.end());
  return f;
}

/// JSON text of `j`; bytes that are not UTF-8 (a txn id may hold any) become U+FFFD.
std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string bad_request(const std::string& why) {
  return text_of(json{{"ok", false}, {"error", "bad_request"}, {"message", why}});
}

/// Messages queued either way past which the browser is not read until they drain.
constexpr size_t max_queued_messages = 64;

class bridge : public std::enable_shared_from_this<bridge> {
public:
  bridge(tcp::socket socket, const ws_target& target, std::shared_ptr<void> slot)
      : ws_(std::move(socket)), engine_(ws_.get_executor()), target_(target),
        reader_(target.max_frame_bytes), slot_(std::move(slot)) {}

  void start(beast::http::request<beast::http::string_body> req) {
    beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts (pings)
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.read_message_max(target_.max_message_bytes);
    ws_.async_accept(req, beast::bind_front_handler(&bridge::on_accept, shared_from_this()));
  }

private:
  void on_accept(beast::error_code ec) {
    if (ec)
      return;
    const uint16_t port = target_.engine_port ? target_.engine_port->load() : 0;
    if (port == 0)
      return close_with("the engine is not serving yet");
    beast::error_code addr_ec;
    const tcp::endpoint at{net::ip::make_address(target_.engine_host, addr_ec), port};
    engine_.async_connect(at, [self = shared_from_this()](beast::error_code e) {
      if (e)
        return self->close_with("cannot reach the engine: " + e.message());
      self->resume_browser();
      self->read_engine();
    });
  }

  // -- browser -> engine ------------------------------------------------------------------
  void read_browser() {
    ws_.async_read(from_browser_, beast::bind_front_handler(&bridge::on_browser, shared_from_this()));
  }

  void on_browser(beast::error_code ec, size_t) {
    browser_reading_ = false;
    if (ec)
      return stop();  // closed, too large (1009 sent by Beast), or broken
    if (closing_)
      return;  // what comes after the engine went away is dropped
    const std::string text = beast::buffers_to_string(from_browser_.data());
    from_browser_.consume(from_browser_.size());
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      to_browser(bad_request("a message is one JSON object with the protocol's keys"));
    else
      to_engine(frame_of(json::to_msgpack(j)));
    resume_browser();
  }

  /// Reads the browser again unless a queue is full (a browser that sends and never reads).
  void resume_browser() {
    if (!browser_reading_ && !closing_ && browser_out_.size() < max_queued_messages &&
        engine_out_.size() < max_queued_messages) {
      browser_reading_ = true;
      read_browser();
    }
  }

  void to_engine(std::string frame) {
    engine_out_.push_back(std::move(frame));
    if (engine_out_.size() == 1)
      write_engine();
  }

  void write_engine() {
    net::async_write(engine_, net::buffer(engine_out_.front()),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec)
                         return self->stop();
                       self->engine_out_.pop_front();
                       if (!self->engine_out_.empty())
                         self->write_engine();
                       self->resume_browser();
                     });
  }

  // -- engine -> browser ------------------------------------------------------------------
  void read_engine() {
    engine_reading_ = true;
    engine_.async_read_some(net::buffer(engine_in_),
                            beast::bind_front_handler(&bridge::on_engine, shared_from_this()));
  }

  void on_engine(beast::error_code ec, size_t n) {
    engine_reading_ = false;
    if (ec)
      return close_with("the engine closed the connection");
    reader_.feed(engine_in_.data(), n);
    std::string_view body;
    for (;;) {
      const auto st = reader_.next(body);
      if (st == protocol::frame_reader::status::need_more)
        break;
      if (st != protocol::frame_reader::status::frame)
        return close_with("a frame from the engine could not be read");
      json j = json::from_msgpack(body.begin(), body.end(), true, false);
      to_browser(j.is_discarded() ? bad_request("the engine sent what is not msgpack") : text_of(j));
    }
    // Read on only once the browser took what came: a browser that does not read leaves it
    // to the engine's own slow-subscriber rules (conflation, then a `closed` event).
    if (browser_out_.empty())
      read_engine();
  }

  void to_browser(std::string text) {
    if (close_started_)
      return;  // the close frame is on its way: nothing may be written after it
    browser_out_.push_back(std::move(text));
    if (browser_out_.size() == 1)
      write_browser();
  }

  void write_browser() {
    ws_.text(true);
    ws_.async_write(net::buffer(browser_out_.front()),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      if (ec)
                        return self->stop();
                      self->browser_out_.pop_front();
                      if (!self->browser_out_.empty())
                        return self->write_browser();
                      if (self->closing_)
                        return self->finish_close();
                      if (!self->engine_reading_ && self->engine_.is_open())
                        self->read_engine();
                      self->resume_browser();
                    });
  }

  // -- ending -------------------------------------------------------------------------------
  /// Tells the browser why (after what it was still owed), then closes.
  void close_with(const std::string& why) {
    if (closing_)
      return;
    closing_ = true;
    close_reason_ = why;
    beast::error_code ignored;
    engine_.close(ignored);
    if (browser_out_.empty())
      finish_close();
  }

  void finish_close() {
    close_started_ = true;
    websocket::close_reason r{websocket::close_code::going_away};
    r.reason = close_reason_.substr(0, 120);  // a control frame's payload is at most 125 bytes
    ws_.async_close(r, [self = shared_from_this()](beast::error_code) { self->stop(); });
  }

  void stop() {
    beast::error_code ignored;
    engine_.close(ignored);
    beast::get_lowest_layer(ws_).close();
  }

  websocket::stream<beast::tcp_stream> ws_;
  tcp::socket engine_;
  const ws_target& target_;
  protocol::frame_reader reader_;
  std::shared_ptr<void> slot_;
  beast::flat_buffer from_browser_;
  std::array<char, 16 * 1024> engine_in_{};
  std::deque<std::string> engine_out_, browser_out_;
  bool engine_reading_ = false;   // one read of the engine at a time
  bool browser_reading_ = false;  // and of the browser
  bool close_started_ = false;    // async_close under way
  bool closing_ = false;
  std::string close_reason_;
};

}  // namespace

void start_ws_bridge(tcp::socket socket, beast::http::request<beast::http::string_body> req,
                     const ws_target& target, std::shared_ptr<void> slot) {
  std::make_shared<bridge>(std::move(socket), target, std::move(slot))->start(std::move(req));
}

}  // namespace settle::http
