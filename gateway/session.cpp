#include "gateway/session.hpp"

#include <sys/socket.h>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/io/network/native_socket.hpp>

#include <functional>
#include <memory>
#include <vector>

#include "actors/messages.hpp"
#include "actors/audit_actor.hpp"
#include "gateway/answer_metrics.hpp"
#include "gateway/audit_note.hpp"
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
  explicit session_state(uint32_t max_frame_bytes, size_t shards, subscriber_limits limits)
      : reader(max_frame_bytes), per_shard(shards), events(limits) {}
  protocol::frame_reader reader;
  session_identity identity;
  uint32_t in_flight = 0;  // admitted and not yet answered (sent or held)
  uint64_t next_seq = 0;
  transfer_order order;
  std::vector<std::pair<uint64_t, uint64_t>> transfers;  // (rid, seq) of tracked transfers
  std::vector<std::vector<protocol::request_view>> per_shard;  // this read's requests
  bool closing = false;
  bool caf_writing = false;  // CAF's write path holds bytes: send through it until drained
  size_t caf_backlog_bytes = 0;  // bytes in CAF's write path (as of its last report)
  event_outbox events;
  bool lag_timer_armed = false;
  bool send_buffer_bounded = false;
  int64_t read_ns = 0;  // when the current read arrived (metrics only)
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
  st.caf_backlog_bytes += buf.size();
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
  st.identity.name = config::token_name(*entry);
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
  const auto kind = req.kind;
  const int64_t sent_ns = env.ctx->metrics ? steady_ns() : 0;
  std::function<void(const protocol::response&)> done = [env, kind, sent_ns](
                                                            const protocol::response& resp) {
    --env.st->in_flight;
    if (env.st->closing)
      return;
    if (auto* m = env.ctx->metrics.get())  // before the answer is written, as every count
      count_answer(*m, resp.op, kind, resp.outcome, resp.error, steady_ns() - sent_ns);
    write_response(env.self, env.hdl, *env.st, resp);
    if (!env.st->transfers.empty())
      finish_transfer(env, resp.rid);
  };
  if (actors::is_audited(op) && env.ctx->routes->auditor) {
    // The answer waits until the audit stream holds the op (or could not store it: logged).
    auto subject = audit_subject_of(req);
    auto inner = std::move(done);
    done = [env, subject, inner](const protocol::response& resp) {
      if (env.st->closing) {
        --env.st->in_flight;
        return;
      }
      auto entry = audit_entry_for(env.st->identity, subject, resp.error, resp.message);
      env.self->request(env.ctx->routes->auditor, caf::infinite, actors::audit_atom::value,
                        std::move(entry))
          .then([=](bool) { inner(resp); }, [=](caf::error&) { inner(resp); });
    };
  }
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
    b.received_ns = env.st->read_ns;
    per_shard[s] = {};
    env.self->send(env.ctx->routes->ledger_shards[s], std::move(b));
  }
}

/// Sends a subscribe or unsubscribe to the publisher; it answers with a subscribe_answer.
void send_subscription(const session_env& env, const protocol::request_view& req) {
  auto me = caf::actor_cast<caf::actor>(env.self);
  if (req.op == op_kind::unsubscribe) {
    env.self->send(env.ctx->routes->publisher, actors::unsubscribe_order{me, req.rid,
                                                                         req.subscription});
    return;
  }
  actors::subscribe_order order;
  order.session = me;
  order.rid = req.rid;
  for (auto a : protocol::list_items(req.account_list))
    order.accounts.emplace_back(a);
  for (auto p : protocol::list_items(req.partner_list))
    order.partners.emplace_back(p);
  order.all = req.all;
  order.alerts = req.alerts;
  if (env.st->identity.granted_role == protocol::role::partner)
    order.partner_check = env.st->identity.partner;
  env.self->send(env.ctx->routes->publisher, std::move(order));
}

/// Routes one admitted request: into this read's batch for its shard, or alone.
void route(const session_env& env, const protocol::request_view& req) {
  const auto& routes = *env.ctx->routes;
  if (req.op == op_kind::subscribe || req.op == op_kind::unsubscribe)
    return send_subscription(env, req);
  if (req.op == op_kind::history || req.op == op_kind::audit) {
    auto owned = protocol::to_request(req);
    // A partner token sees only its own partner's changes (authorize checked any filter).
    if (env.st->identity.granted_role == protocol::role::partner)
      owned.partner = env.st->identity.partner;
    return send_single(env, std::move(owned), false, 0);
  }
  const bool to_shard = req.op != op_kind::partner && req.op != op_kind::snapshot &&
                        !protocol::is_settlement_op(req.op) &&
                        !(req.op == op_kind::balance && ledger::is_reserved_account(req.account));
  if (to_shard) {
    env.st->per_shard[actors::shard_index(req.account, routes.ledger_shards.size())].push_back(
        req);
    return;
  }
  send_single(env, protocol::to_request(req), false, 0);
}

/// Closes the connection for a frame the reader refused (too large or empty), after sending
/// what this read already batched.
void fail_frame(const session_env& env, protocol::frame_reader::status status,
                const std::shared_ptr<std::string>& bytes) {
  send_batches(env, bytes);
  if (status == protocol::frame_reader::status::too_large)
    return fail_connection(env.self, env.hdl, *env.st,
                           "frame exceeds max_frame_bytes (" +
                               std::to_string(env.ctx->opts.max_frame_bytes) +
                               "); closing the connection");
  fail_connection(env.self, env.hdl, *env.st, "empty frame; closing the connection");
}

/// Copies one frame body to the end of this read's bytes (made at the first frame, sized for
/// everything the reader holds) and returns the copy, which lives as long as the bytes.
inline std::string_view keep_body(std::shared_ptr<std::string>& bytes,
                                  const protocol::frame_reader& reader, std::string_view body) {
  if (!bytes) {
    bytes = std::make_shared<std::string>();
    bytes->reserve(reader.buffered_bytes() + body.size());
  }
  const size_t at = bytes->size();
  bytes->append(body);  // within the reserved capacity: earlier views stay valid
  return {bytes->data() + at, body.size()};
}

/// Answers a refused request with `code` and `why` (written, not yet flushed).
inline void refuse(const session_env& env, const protocol::request_view& req, error_code code,
                   std::string_view why) {
  protocol::encode_error(req.op, req.rid, code, why, false, 0, 0, env.self->wr_buf(env.hdl));
  if (auto* m = env.ctx->metrics.get())
    count_answer(*m, req.op, req.kind, protocol::txn_status::applied, code, 0);
}

/// Whether the connection may send `req` (its role allows it, and the in-flight bound is not
/// reached); if not, the refusal is answered. `why` is scratch space for the message.
inline bool admissible(const session_env& env, const protocol::request_view& req,
                       std::string& why) {
  auto allowed = authorize(env.st->identity, req, why);
  if (allowed != error_code::none) {
    if (actors::is_audited(req.op) && env.st->identity.authenticated &&
        env.ctx->routes->auditor) {  // a refused attempt is audited too (nothing happened)
      auto entry = audit_entry_for(env.st->identity, audit_subject_of(protocol::to_request(req)),
                                   allowed, why);
      // Anonymous: the auditor's answer (stored or not) must not come back here.
      caf::anon_send(env.ctx->routes->auditor, actors::audit_atom::value, std::move(entry));
    }
    refuse(env, req, allowed, why);
    return false;
  }
  const auto max_in_flight = env.ctx->opts.max_in_flight_per_connection;
  if (env.st->in_flight >= max_in_flight) {
    refuse(env, req, error_code::overloaded,
           "more than " + std::to_string(max_in_flight) + " requests in flight on this connection");
    return false;
  }
  return true;
}

/// Counts `req` in flight and sends it now (batched or alone) or holds it behind a transfer
/// on one of its accounts.
inline void admit(const session_env& env, const protocol::request_view& req,
                  const std::shared_ptr<std::string>& bytes) {
  auto& st = *env.st;
  ++st.in_flight;
  auto seq = st.next_seq++;
  switch (st.order.admit(seq, req)) {
    case transfer_order::verdict::send:
      if (actors::is_audited(req.op)) {  // alone, after this read's batches (a block follows
        send_batches(env, bytes);           // the bets before it); answered once audited
        send_single(env, protocol::to_request(req), false, 0);
        break;
      }
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

/// Answers a hello (counted for /metrics like every answer).
inline void answer_hello(const session_env& env, const protocol::request_view& req) {
  if (auto* m = env.ctx->metrics.get())  // before the answer is written, as every count
    count_answer(*m, op_kind::hello, req.kind, protocol::txn_status::applied, error_code::none, 0);
  handle_hello(env.self, env.hdl, *env.st, *env.ctx, req);
}

/// Decodes one frame body (kept in `bytes`) and answers, sends or holds its request. False
/// when the frame is malformed: the connection is then closed. `req` and `why` are reused
/// from frame to frame, so their buffers are allocated once per read at most.
inline bool on_frame(const session_env& env, std::string_view body,
                     const std::shared_ptr<std::string>& bytes, protocol::request_view& req,
                     std::string& why) {
  auto decoded = protocol::decode_request(body, req, why);
  if (decoded == protocol::decode_status::malformed) {
    send_batches(env, bytes);
    fail_connection(env.self, env.hdl, *env.st,
                    "malformed frame: " + why + "; closing the connection");
    return false;
  }
  if (decoded == protocol::decode_status::bad_request)
    refuse(env, req, error_code::bad_request, why);
  else if (req.op == op_kind::hello)
    answer_hello(env, req);
  else if (admissible(env, req, why))
    admit(env, req, bytes);
  return true;
}

/// Decodes every complete frame of the connection's input and sends them on.
void on_data(const session_env& env) {
  auto& st = *env.st;
  if (env.ctx->metrics)
    st.read_ns = steady_ns();
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
    if (status != protocol::frame_reader::status::frame)
      return fail_frame(env, status, bytes);
    if (!on_frame(env, keep_body(bytes, st.reader, body), bytes, req, why))
      return;
  }
  send_batches(env, bytes);
  write_out(env.self, env.hdl, st);
}

/// Ends the connection's streams with a last event saying why, then closes it once the client
/// took everything; a client that does not read even that is cut off after another
/// max_lag_ms (the lag timer's kind 0).
void close_stream(const session_env& env, std::string reason) {
  auto& st = *env.st;
  if (st.closing)
    return;
  if (auto* m = env.ctx->metrics.get())
    m->subscribers_dropped.fetch_add(1, std::memory_order_relaxed);
  // The latest state of every conflated key goes first: what the client has at the end is
  // the state at the close, with versions that show what it skipped.
  st.events.drained(env.self->wr_buf(env.hdl));
  protocol::event closed;
  closed.kind = protocol::event_kind::closed;
  closed.reason = std::move(reason);
  protocol::encode_event(closed, env.self->wr_buf(env.hdl));
  write_out(env.self, env.hdl, st);
  st.closing = true;  // reads are ignored from here on
  if (!st.caf_writing) {
    // The kernel took everything: it delivers the rest after the close.
    env.self->close(env.hdl);
    env.self->quit();
    return;
  }
  // The connection stays ours (so its descriptor cannot be reused by another) until CAF
  // reports its buffers drained (data_transferred) or the grace is over.
  auto me = caf::actor_cast<caf::actor>(env.self);
  env.self->delayed_send(env.ctx->routes->timers,
                         std::chrono::milliseconds(st.events.limits().max_lag_ms),
                         actors::forward_atom::value, me,
                         caf::make_message(actors::lag_atom::value, uint64_t{0}));
}

/// Checks whether a subscriber is behind for too long; re-arms the check while it is behind.
void check_lag(const session_env& env) {
  auto& st = *env.st;
  if (st.closing || !st.events.behind())
    return;
  if (st.events.too_late(event_outbox::clock::now()))
    return close_stream(env, "the subscriber read too slowly: behind for more than " +
                                 std::to_string(st.events.limits().max_lag_ms) +
                                 " ms (subscriber_max_lag_ms)");
  if (st.lag_timer_armed)
    return;
  st.lag_timer_armed = true;
  auto me = caf::actor_cast<caf::actor>(env.self);
  env.self->delayed_send(env.ctx->routes->timers,
                         std::chrono::milliseconds(st.events.limits().max_lag_ms / 4 + 1),
                         actors::forward_atom::value, me,
                         caf::make_message(actors::lag_atom::value, uint64_t{1}));
}

void on_events(const session_env& env, const actors::event_delivery& d) {
  auto& st = *env.st;
  if (st.closing)
    return;
  auto& out = env.self->wr_buf(env.hdl);
  const size_t backlog = (st.caf_writing ? st.caf_backlog_bytes : 0) + out.size();
  const bool was_behind = st.events.behind();
  if (st.events.deliver(d, backlog, out, event_outbox::clock::now()) ==
      event_outbox::verdict::too_many_conflated)
    return close_stream(env, "the subscriber read too slowly: more than " +
                                 std::to_string(st.events.limits().max_conflated) +
                                 " accounts behind (subscriber_max_conflated)");
  if (!st.caf_writing)
    st.events.drained(out);  // nothing waits in CAF's buffers (data_transferred won't come)
  write_out(env.self, env.hdl, st);
  if (!was_behind && st.events.behind())
    check_lag(env);
}

void on_subscribe_answer(const session_env& env, actors::subscribe_answer& a) {
  auto& st = *env.st;
  --st.in_flight;
  if (st.closing)
    return;
  auto& out = env.self->wr_buf(env.hdl);
  if (a.error != error_code::none) {
    protocol::encode_error(a.op, a.rid, a.error, a.message, false, 0, 0, out);
  } else {
    protocol::response resp;
    resp.op = a.op;
    resp.rid = a.rid;
    resp.subscription = a.subscription;
    protocol::encode_response(resp, out);
    out.insert(out.end(), a.snapshot.begin(), a.snapshot.end());
    if (!st.send_buffer_bounded && a.op == op_kind::subscribe) {
      // The kernel's send buffer grows to megabytes for a client that does not read; bounded
      // like ours, a slow subscriber is conflated after about buffer_bytes, not after that.
      st.send_buffer_bounded = true;
      int bytes = static_cast<int>(st.events.limits().buffer_bytes);
      ::setsockopt(static_cast<caf::io::network::native_socket>(env.hdl.id()), SOL_SOCKET,
                   SO_SNDBUF, &bytes, sizeof(bytes));
    }
  }
  write_out(env.self, env.hdl, st);
}

}  // namespace

caf::behavior session(caf::io::broker* self, caf::io::connection_handle hdl,
                      std::shared_ptr<gateway_context> ctx) {
  auto st = std::make_shared<session_state>(
      ctx->opts.max_frame_bytes, ctx->routes->ledger_shards.size(), ctx->opts.subscribers);
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
        // Counted before they are written: whatever a client was answered is on /metrics.
        if (auto* m = ctx->metrics.get()) {
          const int64_t now = steady_ns();
          for (const auto& r : batch.replies)
            count_reply(*m, r, now);
        }
        for (auto& r : batch.replies)
          write_reply(self, hdl, r);
        write_out(self, hdl, *st);
        if (!st->transfers.empty())
          for (auto& r : batch.replies)
            finish_transfer(env, r.rid);
      },
      [=](const caf::io::data_transferred_msg& msg) {
        st->caf_backlog_bytes = msg.remaining;
        if (msg.remaining == 0) {
          st->caf_writing = false;
          if (st->closing) {  // close_stream: the last event is written
            self->close(hdl);
            self->quit();
            return;
          }
          st->events.drained(self->wr_buf(hdl));  // the client caught up
          write_out(self, hdl, *st);  // what was written meanwhile, if anything
        }
      },
      [=](actors::event_delivery& d) { on_events(env, d); },
      [=](actors::subscribe_answer& a) { on_subscribe_answer(env, a); },
      [=](actors::stream_closed& c) { close_stream(env, std::move(c.reason)); },
      [=](actors::lag_atom, uint64_t kind) {
        if (kind == 0) {
          // The grace after the last event is over and the client did not take it: the
          // socket is shut down so that CAF's pending write fails and frees its buffers.
          ::shutdown(static_cast<caf::io::network::native_socket>(hdl.id()), SHUT_RDWR);
          self->quit();
          return;
        }
        st->lag_timer_armed = false;
        check_lag(env);
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
