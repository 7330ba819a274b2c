#include "gateway/session.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "actors/messages.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace settle::gateway {

using protocol::error_code;
using protocol::op_kind;

namespace {

/// Per-connection state, owned by the session broker's lambdas.
struct session_state {
  explicit session_state(uint32_t max_frame_bytes) : reader(max_frame_bytes) {}
  protocol::frame_reader reader;
  session_identity identity;
  uint32_t in_flight = 0;
  bool closing = false;
};

void write_response(caf::io::broker* self, caf::io::connection_handle hdl,
                    const protocol::response& resp) {
  protocol::encode_response(resp, self->wr_buf(hdl));
  self->flush(hdl);
}

/// Answers one last error, then closes once the answer is written.
void fail_connection(caf::io::broker* self, caf::io::connection_handle hdl, session_state& st,
                     std::string message) {
  write_response(self, hdl,
                 protocol::make_error(op_kind::hello, 0, error_code::bad_request,
                                      std::move(message)));
  st.closing = true;
  self->close(hdl);  // graceful: the queued answer is still written
  self->quit();
}

void handle_hello(caf::io::broker* self, caf::io::connection_handle hdl, session_state& st,
                  const gateway_context& ctx, const protocol::request& req) {
  const auto* entry = ctx.tokens.find(req.token);
  if (entry == nullptr) {
    write_response(self, hdl,
                   protocol::make_error(op_kind::hello, req.rid, error_code::unauthenticated,
                                        "unknown token"));
    return;
  }
  st.identity.authenticated = true;
  st.identity.granted_role = entry->granted_role;
  st.identity.partner = entry->partner;
  protocol::response resp;
  resp.op = op_kind::hello;
  resp.rid = req.rid;
  resp.granted_role = entry->granted_role;
  resp.partner = entry->partner;
  resp.protocol_version = protocol::protocol_version;
  write_response(self, hdl, resp);
}

}  // namespace

caf::behavior session(caf::io::broker* self, caf::io::connection_handle hdl,
                      std::shared_ptr<gateway_context> ctx) {
  auto st = std::make_shared<session_state>(ctx->opts.max_frame_bytes);
  self->configure_read(hdl, caf::io::receive_policy::at_most(64 * 1024));
  self->attach_functor([ctx] { --ctx->live_connections; });
  return {
      [=](const caf::io::new_data_msg& msg) {
        if (st->closing)
          return;
        st->reader.feed(msg.buf.data(), msg.buf.size());
        std::string_view body;
        for (;;) {
          auto status = st->reader.next(body);
          if (status == protocol::frame_reader::status::need_more)
            return;
          if (status == protocol::frame_reader::status::too_large)
            return fail_connection(self, hdl, *st,
                                   "frame exceeds max_frame_bytes (" +
                                       std::to_string(ctx->opts.max_frame_bytes) +
                                       "); closing the connection");
          if (status == protocol::frame_reader::status::empty)
            return fail_connection(self, hdl, *st, "empty frame; closing the connection");
          protocol::request req;
          std::string why;
          auto decoded = protocol::decode_request(body, req, why);
          if (decoded == protocol::decode_status::malformed)
            return fail_connection(self, hdl, *st,
                                   "malformed frame: " + why + "; closing the connection");
          if (decoded == protocol::decode_status::bad_request) {
            write_response(self, hdl,
                           protocol::make_error(req.op, req.rid, error_code::bad_request, why));
            continue;
          }
          if (req.op == op_kind::hello) {
            handle_hello(self, hdl, *st, *ctx, req);
            continue;
          }
          auto allowed = authorize(st->identity, req, why);
          if (allowed != error_code::none) {
            write_response(self, hdl, protocol::make_error(req.op, req.rid, allowed, why));
            continue;
          }
          if (st->in_flight >= ctx->opts.max_in_flight_per_connection) {
            write_response(self, hdl,
                           protocol::make_error(req.op, req.rid, error_code::overloaded,
                                                "more than " +
                                                    std::to_string(
                                                        ctx->opts.max_in_flight_per_connection) +
                                                    " requests in flight on this connection"));
            continue;
          }
          ++st->in_flight;
          auto op = req.op;
          auto rid = req.rid;
          self->request(ctx->routes->target_for(req), caf::infinite, std::move(req))
              .then(
                  [=](protocol::response& resp) {
                    --st->in_flight;
                    if (!st->closing)
                      write_response(self, hdl, resp);
                  },
                  [=](caf::error& err) {
                    --st->in_flight;
                    if (!st->closing)
                      write_response(self, hdl,
                                     protocol::make_error(op, rid, error_code::internal,
                                                          "engine failed: " + to_string(err)));
                  });
        }
      },
      [=](const caf::io::connection_closed_msg&) {
        st->closing = true;
        self->quit();
      },
  };
}

caf::behavior acceptor(caf::io::broker* self, std::shared_ptr<gateway_context> ctx) {
  return {
      [=](const caf::io::new_connection_msg& msg) {
        if (ctx->live_connections.load() >= ctx->opts.max_connections) {
          // Over the limit: answer why, then close (the client sees an error, not a reset).
          self->fork(
              [ctx](caf::io::broker* b, caf::io::connection_handle h) -> caf::behavior {
                protocol::encode_response(
                    protocol::make_error(op_kind::hello, 0, error_code::overloaded,
                                         "too many connections (max_connections " +
                                             std::to_string(ctx->opts.max_connections) + ")"),
                    b->wr_buf(h));
                b->flush(h);
                b->close(h);  // graceful: the answer is still written
                b->quit();
                return {[](const caf::io::new_data_msg&) {}};
              },
              msg.handle);
          return;
        }
        ++ctx->live_connections;
        // Linked: stopping the listener ends every session.
        self->link_to(self->fork(session, msg.handle, ctx));
      },
  };
}

}  // namespace settle::gateway
