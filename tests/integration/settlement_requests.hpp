// Builders of the settlement ops' requests for the engine-level settlement tests.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"

namespace settle::testing::settle_req {

using protocol::op_kind;
using protocol::request;

inline request op(op_kind kind, std::string partner,
                  protocol::settlement_request s = protocol::settlement_request{}) {
  request r;
  r.op = kind;
  r.partner = std::move(partner);
  r.settlement = std::make_shared<const protocol::settlement_request>(std::move(s));
  return r;
}

inline request contract_set(std::string partner, std::string kind, std::string currency,
                            int64_t share_bps, std::string via = {},
                            std::optional<int64_t> max_tps = std::nullopt,
                            std::optional<int64_t> credit_alert = std::nullopt) {
  protocol::settlement_request s;
  s.contract.kind = std::move(kind);
  s.contract.currency = std::move(currency);
  s.contract.cycle = "daily";
  s.contract.share_bps = share_bps;
  s.contract.via = std::move(via);
  s.contract.max_tps = max_tps;
  s.contract.credit_alert = credit_alert;
  return op(op_kind::contract_set, std::move(partner), std::move(s));
}

inline request statement(std::string partner, uint64_t period) {
  protocol::settlement_request s;
  s.period = period;
  return op(op_kind::statement, std::move(partner), std::move(s));
}

inline request fx_set(std::string base, std::string quote, std::string rate) {
  protocol::settlement_request s;
  s.base = std::move(base);
  s.quote = std::move(quote);
  s.rate = std::move(rate);
  return op(op_kind::fx_set, {}, std::move(s));
}

inline request topup(std::string partner, int64_t amount, std::string currency, std::string id) {
  auto r = op(op_kind::topup, std::move(partner));
  r.amount = amount;
  r.has_amount = true;
  r.currency = std::move(currency);
  r.id = std::move(id);
  return r;
}

inline request reconcile(std::string partner, uint64_t period,
                         std::vector<protocol::reconcile_row> rows) {
  protocol::settlement_request s;
  s.period = period;
  s.rows = std::move(rows);
  return op(op_kind::reconcile, std::move(partner), std::move(s));
}

}  // namespace settle::testing::settle_req
