#include "gateway/session.hpp"

#include <sys/socket.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/network/native_socket.hpp>

#include <memory>
#include <vector>

#include "actors/messages.hpp"
#include "gateway/transfer_order.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace settle::gateway {

using protocol::error_code;
using protocol::op_kind;

namespace {

/// At most this much is read per read call: about a hundred requests. CAF zero-fills its
/// read buffer to this size before every read, so 64 KB reads cost more than they gained.
constexpr size_t read_chunk_bytes = 16 * 1024;

/// Per-connection state, owned by the session broker's handlers.
struct session_state {
  explicit session_state(uint32_t max_frame_bytes, size_t shards)
      : reader(max_frame_bytes), per_shard(shards) {}
  protocol::frame_reader reader;
  session_identity identity;
  uint32_t in_flight = 0;  // admitted and not yet answered (sent or held)
  uint64_t next_seq = 0;
  transfer_order order;
  std::vector<std::pair<uint64_t, uint64_t>> transfers;  // (rid, seq) of tracked transfers
  std::vector<std::vector<protocol::request_view>> per_shard;  // this read's requests
  bool closing = false;
  bool caf_writing = false;  // CAF's write path holds bytes: send through it until drained
};

/// Writes what the handlers put into the connection's write buffer. Straight to the socket
/// when it takes everything: CAF 0.17's own path registers and unregisters the socket for
/// write events on every flush (two epoll_ctl calls and an extra loop turn per answer, a
/// third of the cost of an answer at depth 1). Whatever the socket does not take goes
/// through CAF, which then keeps the order until it reports its buffers drained.
void write_out(caf::io::broker* self, caf::io::connection_handle hdl, session_state& st) {
  auto& buf = self->wr_buf(hdl);
  if (buf.empty())
    return;
  if (!st.caf_writing) {
    auto fd = static_cast<caf::io::network::native_socket>(hdl.id());
    ssize_t n = ::send(fd, buf.data(), buf.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(buf.size())) {
      buf.clear();
      return;
    }
    if (n > 0)
      buf.erase(buf.begin(), buf.begin() + n);
    // n < 0: a full socket (EAGAIN) or a broken one, which CAF's path reports as closed.
  }
  st.caf_writing = true;
  self->flush(hdl);
}

void write_response(caf::io::broker* self, caf::io::connection_handle hdl, session_state& st,
                    const protocol::response& resp) {
  protocol::encode_response(resp, self->wr_buf(hdl));
  write_out(self, hdl, st);
}

/// Answers one last error, then closes once the answer is written.
void fail_connection(caf::io::broker* self, caf::io::connection_handle hdl, session_state& st,
                     std::string message) {
  write_response(self, hdl, st,
                 protocol::make_error(op_kind::hello, 0, error_code::bad_request,
                                      std::move(message)));
  st.closing = true;
  self->close(hdl);  // graceful: the queued answer is still written
  self->quit();
}

void handle_hello(caf::io::broker* self, caf::io::connection_handle hdl, session_state& st,
                  const gateway_context& ctx, const protocol::request_view& req) {
  const auto* entry = ctx.tokens.find(req.token);
  if (entry == nullptr) {
    write_response(self, hdl, st,
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
  write_response(self, hdl, st, resp);
}

/// Writes one answer from a shard (without flushing).
void write_reply(caf::io::broker* self, caf::io::connection_handle hdl, actors::reply& r) {
  auto& out = self->wr_buf(hdl);
  if (r.full) {
    r.full->rid = r.rid;
    protocol::encode_response(*r.full, out);
  } else if (r.error != error_code::none) {
    protocol::encode_error(r.op, r.rid, r.error, r.message, r.has_balance, r.balance, r.version,
                           out);
  } else {
    protocol::encode_txn_result(r.rid, r.status, r.balance, r.version, out);
  }
}

/// Everything a session handler needs.
struct session_env {
  caf::io::broker* self;
  caf::io::connection_handle hdl;
  std::shared_ptr<session_state> st;
  std::shared_ptr<gateway_context> ctx;
};

/// Sends one request that is not batched: to the clearing registry or the snapshotter, or a
/// request released from behind a transfer. Its answer comes back as a protocol::response.
void send_single(const session_env& env, protocol::request req, bool tracked, uint64_t seq);

/// A tracked transfer was answered: sends what waited behind it.
void finish_transfer(const session_env& env, uint64_t rid) {
  auto& ts = env.st->transfers;
  for (size_t i = 0; i < ts.size(); ++i) {
    if (ts[i].first != rid)
      continue;
    uint64_t seq = ts[i].second;
    ts.erase(ts.begin() + static_cast<std::ptrdiff_t>(i));
    for (auto& next : env.st->order.finish(seq))
      send_single(env, std::move(next.req), next.tracked, next.seq);
    return;
  }
}

void send_single(const session_env& env, protocol::request req, bool tracked, uint64_t seq) {
  if (tracked)
    env.st->transfers.emplace_back(req.rid, seq);
  auto op = req.op;
  auto rid = req.rid;
  auto done = [env](const protocol::response& resp) {
    --env.st->in_flight;
    if (env.st->closing)
      return;
    write_response(env.self, env.hdl, *env.st, resp);
    if (!env.st->transfers.empty())
      finish_transfer(env, resp.rid);
  };
  const auto& target = env.ctx->routes->target_for(protocol::view_of(req));
  env.self->request(target, caf::infinite, std::move(req))
      .then([=](protocol::response& resp) { done(resp); },
            [=](caf::error& err) {
              // The engine is stopping or an actor failed: the outcome is unknown, so the
              // answer is retryable (a retry with the same id is applied at most once).
              done(protocol::make_error(op, rid, error_code::unavailable,
                                        "the engine could not answer (" + to_string(err) +
                                            "); retry with the same id"));
            });
}

/// Sends this read's requests: one request_batch per shard, sharing the read's bytes.
void send_batches(const session_env& env, const std::shared_ptr<const std::string>& bytes) {
  auto& per_shard = env.st->per_shard;
  auto me = caf::actor_cast<caf::actor>(env.self);
  for (size_t s = 0; s < per_shard.size(); ++s) {
    if (per_shard[s].empty())
      continue;
    actors::request_batch b;
    b.owner = bytes;
    b.requests = std::move(per_shard[s]);
    b.session = me;
    per_shard[s] = {};
    env.self->send(env.ctx->routes->ledger_shards[s], std::move(b));
  }
}

/// Routes one admitted request: into this read's batch for its shard, or alone.
void route(const session_env& env, const protocol::request_view& req) {
  const auto& routes = *env.ctx->routes;
  const bool to_shard = req.op != op_kind::partner && req.op != op_kind::snapshot &&
                        !(req.op == op_kind::balance && ledger::is_reserved_account(req.account));
  if (to_shard) {
    env.st->per_shard[actors::shard_index(req.account, routes.ledger_shards.size())].push_back(
        req);
    return;
  }
  send_single(env, protocol::to_request(req), false, 0);
}

/// Decodes every complete frame of the connection's input and sends them on.
void on_data(const session_env& env) {
  auto& st = *env.st;
  const auto& ctx = *env.ctx;
  // The bodies of this read's frames, copied once: every request view points into it, and
  // the shards keep it alive until they have answered.
  std::shared_ptr<std::string> bytes;  // made at the first frame
  std::string why;
  std::string_view body;
  protocol::request_view req;
  for (;;) {
    auto status = st.reader.next(body);
    if (status == protocol::frame_reader::status::need_more)
      break;
    if (status == protocol::frame_reader::status::too_large) {
      send_batches(env, bytes);
      return fail_connection(env.self, env.hdl, st,
                             "frame exceeds max_frame_bytes (" +
                                 std::to_string(ctx.opts.max_frame_bytes) +
                                 "); closing the connection");
    }
    if (status == protocol::frame_reader::status::empty) {
      send_batches(env, bytes);
      return fail_connection(env.self, env.hdl, st, "empty frame; closing the connection");
    }
    if (!bytes) {
      bytes = std::make_shared<std::string>();
      bytes->reserve(st.reader.buffered_bytes() + body.size());
    }
    const size_t at = bytes->size();
    bytes->append(body);  // within the reserved capacity: earlier views stay valid
    std::string_view stable{bytes->data() + at, body.size()};
    auto decoded = protocol::decode_request(stable, req, why);
    if (decoded == protocol::decode_status::malformed) {
      send_batches(env, bytes);
      return fail_connection(env.self, env.hdl, st,
                             "malformed frame: " + why + "; closing the connection");
    }
    if (decoded == protocol::decode_status::bad_request) {
      protocol::encode_error(req.op, req.rid, error_code::bad_request, why, false, 0, 0,
                             env.self->wr_buf(env.hdl));
      continue;
    }
    if (req.op == op_kind::hello) {
      handle_hello(env.self, env.hdl, st, ctx, req);
      continue;
    }
    auto allowed = authorize(st.identity, req, why);
    if (allowed != error_code::none) {
      protocol::encode_error(req.op, req.rid, allowed, why, false, 0, 0,
                             env.self->wr_buf(env.hdl));
      continue;
    }
    if (st.in_flight >= ctx.opts.max_in_flight_per_connection) {
      protocol::encode_error(req.op, req.rid, error_code::overloaded,
                             "more than " +
                                 std::to_string(ctx.opts.max_in_flight_per_connection) +
                                 " requests in flight on this connection",
                             false, 0, 0, env.self->wr_buf(env.hdl));
      continue;
    }
    ++st.in_flight;
    auto seq = st.next_seq++;
    switch (st.order.admit(seq, req)) {
      case transfer_order::verdict::send:
        route(env, req);
        break;
      case transfer_order::verdict::send_tracked:
        // After the requests of this read already batched: they came first.
        send_batches(env, bytes);
        send_single(env, protocol::to_request(req), true, seq);
        break;
      case transfer_order::verdict::hold:
        st.order.hold(seq, protocol::to_request(req));
        break;
    }
  }
  send_batches(env, bytes);
  write_out(env.self, env.hdl, st);
}

}  // namespace

caf::behavior session(caf::io::broker* self, caf::io::connection_handle hdl,
                      std::shared_ptr<gateway_context> ctx) {
  auto st = std::make_shared<session_state>(ctx->opts.max_frame_bytes,
                                            ctx->routes->ledger_shards.size());
  session_env env{self, hdl, st, ctx};
  self->configure_read(hdl, caf::io::receive_policy::at_most(read_chunk_bytes));
  // Answers go out when written, not after Nagle's delay: a lone answer on a quiet
  // connection otherwise waits for the client's delayed ACK (up to 40 ms). CAF's default
  // multiplexer uses the socket descriptor as the connection handle's id.
  caf::io::network::tcp_nodelay(static_cast<caf::io::network::native_socket>(hdl.id()), true);
  self->attach_functor([ctx] { --ctx->live_connections; });
  self->ack_writes(hdl, true);  // tells when CAF's write buffers are drained (write_out)
  return {
      [=](const caf::io::new_data_msg& msg) {
        if (st->closing)
          return;
        st->reader.feed(msg.buf.data(), msg.buf.size());
        on_data(env);
      },
      [=](actors::reply_batch& batch) {
        st->in_flight -= static_cast<uint32_t>(batch.replies.size());
        if (st->closing)
          return;
        for (auto& r : batch.replies)
          write_reply(self, hdl, r);
        write_out(self, hdl, *st);
        if (!st->transfers.empty())
          for (auto& r : batch.replies)
            finish_transfer(env, r.rid);
      },
      [=](const caf::io::data_transferred_msg& msg) {
        if (msg.remaining == 0) {
          st->caf_writing = false;
          write_out(self, hdl, *st);  // what was written meanwhile, if anything
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
