#include "bench/engine_target.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace settle::bench {

engine_target::engine_target(const std::string& host_port, const std::string& token) {
  auto [host, port] = client::parse_host_port(host_port);
  conn_ = std::make_unique<client::connection>(host, port);
  if (!token.empty()) {
    auto h = conn_->hello(token);
    if (!h.ok())
      throw std::runtime_error(fmt::format("hello refused: {}: {}", protocol::to_string(h.error),
                                           h.message));
  }
}

void engine_target::setup(const std::vector<account_spec>& accounts) {
  // Opens and funds pipelined, 512 accounts (1024 requests) at a time: under the engine's
  // per-connection in-flight limit. Deposit ids are stable (d<i>), so a second setup against
  // the same engine answers `duplicate` and funds nothing twice.
  const size_t batch = 512;
  for (size_t start = 0; start < accounts.size(); start += batch) {
    size_t end = std::min(accounts.size(), start + batch);
    for (size_t i = start; i < end; ++i) {
      protocol::request open;
      open.op = protocol::op_kind::open;
      open.account = accounts[i].id;
      open.currency = accounts[i].currency;
      conn_->send(open);
      protocol::request d;
      d.op = protocol::op_kind::txn;
      d.kind = protocol::txn_kind::deposit;
      d.id = "d" + accounts[i].id;
      d.account = accounts[i].id;
      d.currency = accounts[i].currency;
      d.amount = accounts[i].initial_balance;
      d.has_amount = true;
      conn_->send(d);
    }
    conn_->flush();
    for (size_t k = 0; k < 2 * (end - start); ++k) {
      auto r = conn_->receive(60'000);
      if (!r)
        throw std::runtime_error("setup: no answer within 60 s");
      if (!r->ok())
        throw std::runtime_error(fmt::format("setup failed: {}: {}",
                                             protocol::to_string(r->error), r->message));
    }
  }
}

void engine_target::send(uint64_t tag, const protocol::request& txn) {
  conn_->send(txn, tag);
}

bool engine_target::receive(uint64_t& tag, protocol::response& out, int timeout_ms) {
  auto r = conn_->receive(timeout_ms);
  if (!r)
    return false;
  tag = r->rid;
  out = std::move(*r);
  return true;
}

}  // namespace settle::bench
