// Terse builders of protocol requests, shared by the in-process and the TCP test suites.
#pragma once

#include <string>

#include "protocol/messages.hpp"

namespace settle::testing::req {

using protocol::op_kind;
using protocol::request;

inline request open(std::string account, std::string currency) {
  request r;
  r.op = op_kind::open;
  r.account = std::move(account);
  r.currency = std::move(currency);
  return r;
}
inline request balance(std::string account) {
  request r;
  r.op = op_kind::balance;
  r.account = std::move(account);
  return r;
}
inline request partner(std::string partner) {
  request r;
  r.op = op_kind::partner;
  r.partner = std::move(partner);
  return r;
}
inline request block(std::string account) {
  request r;
  r.op = op_kind::block;
  r.account = std::move(account);
  return r;
}
inline request unblock(std::string account) {
  request r;
  r.op = op_kind::unblock;
  r.account = std::move(account);
  return r;
}
inline request txn(protocol::txn_kind kind, std::string id, std::string account, int64_t amount,
                 std::string currency, std::string partner = {}) {
  request r;
  r.op = op_kind::txn;
  r.kind = kind;
  r.id = std::move(id);
  r.account = std::move(account);
  r.amount = amount;
  r.has_amount = true;
  r.currency = std::move(currency);
  r.partner = std::move(partner);
  return r;
}
inline request rollback(std::string id, std::string ref, std::string account, std::string currency,
                      std::string partner) {
  request r;
  r.op = op_kind::txn;
  r.kind = protocol::txn_kind::rollback;
  r.id = std::move(id);
  r.ref = std::move(ref);
  r.account = std::move(account);
  r.currency = std::move(currency);
  r.partner = std::move(partner);
  return r;
}
inline request transfer(std::string id, std::string from, std::string to, int64_t amount,
                      std::string currency) {
  auto r = txn(protocol::txn_kind::transfer, std::move(id), std::move(from), amount,
               std::move(currency));
  r.to = std::move(to);
  return r;
}

}  // namespace settle::testing::req
