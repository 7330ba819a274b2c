// A blocking HTTP/1.1 client for the engine tests (Boost.Beast), and a reader of the
// Prometheus text format: what a scraper or a browser would do, without a dependency more.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <map>
#include <sstream>
#include <string>

namespace settle::testing {

struct http_answer {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

/// GET `target` on 127.0.0.1:`port`, with an extra header when `header_name` is given.
inline http_answer http_get(uint16_t port, const std::string& target,
                            const std::string& header_name = {},
                            const std::string& header_value = {},
                            boost::beast::http::verb verb = boost::beast::http::verb::get) {
  namespace beast = boost::beast;
  namespace bhttp = beast::http;
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(boost::asio::ip::tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), port});
  bhttp::request<bhttp::string_body> req{verb, target, 11};
  req.set(bhttp::field::host, "127.0.0.1");
  if (!header_name.empty())
    req.set(header_name, header_value);
  bhttp::write(stream, req);
  beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> res;
  bhttp::read(stream, buffer, res);
  beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return {static_cast<unsigned>(res.result_int()),
          std::string{res[bhttp::field::content_type]}, res.body()};
}

/// The samples of a Prometheus text page: "name{labels}" (as written) -> value.
inline std::map<std::string, double> prometheus_samples(const std::string& page) {
  std::map<std::string, double> out;
  std::istringstream in{page};
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#')
      continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

}  // namespace settle::testing

#include <boost/beast/websocket.hpp>

namespace settle::testing {

/// A blocking WebSocket client of /ws (what the dashboard's page does).
class ws_client {
public:
  explicit ws_client(uint16_t port) : ws_{io_} {
    namespace net = boost::asio;
    beast_socket().connect(net::ip::tcp::endpoint{net::ip::make_address("127.0.0.1"), port});
    beast_socket().expires_after(std::chrono::seconds(10));
    ws_.handshake("127.0.0.1", "/ws");
    beast_socket().expires_never();
  }
  void send(const std::string& text) {
    ws_.text(true);
    ws_.write(boost::asio::buffer(text));
  }
  /// The next message, or throws (boost::system::system_error) when the connection closed.
  std::string receive() {
    boost::beast::flat_buffer b;
    ws_.read(b);
    return boost::beast::buffers_to_string(b.data());
  }
  /// Why the server closed (after receive() threw).
  boost::beast::websocket::close_reason reason() const { return ws_.reason(); }

private:
  boost::beast::tcp_stream& beast_socket() { return ws_.next_layer(); }
  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
};

}  // namespace settle::testing
