#include "gateway/session.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/network/native_socket.hpp>

#include <cassert>
#include <deque>

#include <absl/container/flat_hash_map.h>

#include "actors/messages.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace settle::gateway {

using protocol::error_code;
using protocol::op_kind;

namespace {

/// Keeps requests of one connection in arrival order per account: a request is sent to the
/// engine only when it is first in the queue of every account it touches, so pipelined
/// requests for one account apply in order while other accounts proceed in parallel. A
/// request joins all its queues at arrival, so the oldest waiting request is always first
/// everywhere and waiting cannot deadlock.
class account_order {
public:
  /// The accounts `req` touches (empty: no ordering needed, e.g. `partner`).
  static std::vector<std::string> accounts_of(const protocol::request& req) {
    if (req.op == op_kind::partner || req.account.empty())
      return {};
    if (req.op == op_kind::txn && req.kind == protocol::txn_kind::transfer && !req.to.empty() &&
        req.to != req.account)
      return {req.account, req.to};
    return {req.account};
  }

  /// Queues request `seq` on its accounts; true if it may be dispatched now, otherwise the
  /// caller hands it to hold().
  bool admit(uint64_t seq, const std::vector<std::string>& keys) {
    bool first_everywhere = true;
    for (const auto& k : keys) {
      auto& q = queues_[k];
      q.push_back(seq);
      first_everywhere = first_everywhere && q.front() == seq;
    }
    return first_everywhere;
  }

  void hold(uint64_t seq, protocol::request req) { held_.emplace(seq, std::move(req)); }

  /// Removes finished `seq`; returns the held requests that became dispatchable.
  std::vector<std::pair<uint64_t, protocol::request>> finish(uint64_t seq,
                                                             const std::vector<std::string>& keys) {
    std::vector<std::pair<uint64_t, protocol::request>> ready;
    (void)seq;  // only asserted
    for (const auto& k : keys) {
      auto it = queues_.find(k);
      assert(it != queues_.end() && it->second.front() == seq);
      it->second.pop_front();
      if (it->second.empty()) {
        queues_.erase(it);
        continue;
      }
      uint64_t next = it->second.front();
      auto h = held_.find(next);
      if (h == held_.end())
        continue;  // already dispatched (first in this queue since earlier) or taken below
      bool first_everywhere = true;
      for (const auto& other : accounts_of(h->second))
        first_everywhere = first_everywhere && queues_[other].front() == next;
      if (first_everywhere) {
        ready.emplace_back(next, std::move(h->second));
        held_.erase(h);
      }
    }
    return ready;
  }

private:
  absl::flat_hash_map<std::string, std::deque<uint64_t>> queues_;
  absl::flat_hash_map<uint64_t, protocol::request> held_;
};

/// Per-connection state, owned by the session broker's lambdas.
struct session_state {
  explicit session_state(uint32_t max_frame_bytes) : reader(max_frame_bytes) {}
  protocol::frame_reader reader;
  session_identity identity;
  uint32_t in_flight = 0;  // admitted and not yet answered (dispatched or held)
  uint64_t next_seq = 0;
  account_order order;
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

/// Sends one admitted request to the engine; its answer releases the next ones in order.
void dispatch(caf::io::broker* self, caf::io::connection_handle hdl,
              std::shared_ptr<session_state> st, std::shared_ptr<gateway_context> ctx,
              uint64_t seq, protocol::request req, std::vector<std::string> keys) {
  auto op = req.op;
  auto rid = req.rid;
  auto done = [self, hdl, st, ctx, seq, keys](const protocol::response& resp) {
    --st->in_flight;
    if (st->closing)
      return;
    write_response(self, hdl, resp);
    for (auto& [next_seq, next_req] : st->order.finish(seq, keys)) {
      auto next_keys = account_order::accounts_of(next_req);
      dispatch(self, hdl, st, ctx, next_seq, std::move(next_req), std::move(next_keys));
    }
  };
  self->request(ctx->routes->target_for(req), caf::infinite, std::move(req))
      .then([=](protocol::response& resp) { done(resp); },
            [=](caf::error& err) {
              // The engine is stopping or an actor failed: the outcome is unknown, so the
              // answer is retryable (a retry with the same id is applied at most once).
              done(protocol::make_error(op, rid, error_code::unavailable,
                                        "the engine could not answer (" + to_string(err) +
                                            "); retry with the same id"));
            });
}

}  // namespace

caf::behavior session(caf::io::broker* self, caf::io::connection_handle hdl,
                      std::shared_ptr<gateway_context> ctx) {
  auto st = std::make_shared<session_state>(ctx->opts.max_frame_bytes);
  self->configure_read(hdl, caf::io::receive_policy::at_most(64 * 1024));
  // Answers go out when written, not after Nagle's delay: a lone answer on a quiet
  // connection otherwise waits for the client's delayed ACK (up to 40 ms). CAF's default
  // multiplexer uses the socket descriptor as the connection handle's id.
  caf::io::network::tcp_nodelay(static_cast<caf::io::network::native_socket>(hdl.id()), true);
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
          auto seq = st->next_seq++;
          auto keys = account_order::accounts_of(req);
          if (st->order.admit(seq, keys))
            dispatch(self, hdl, st, ctx, seq, std::move(req), std::move(keys));
          else
            st->order.hold(seq, std::move(req));
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
