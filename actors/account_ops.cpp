#include "actors/account_ops.hpp"

namespace settle::actors {

using protocol::account_status;
using protocol::op_kind;

leg_result describe(const ledger::account_state& st) {
  leg_result r;
  r.known_account = true;
  r.balance = st.balance;
  r.version = st.version;
  r.currency = st.currency;
  r.status = st.status;
  return r;
}

leg_result apply(ledger::account_state& st, const ledger::leg& l) {
  std::string why;
  auto err = ledger::apply_leg(st, l, why);
  leg_result r = describe(st);
  r.error = err;
  r.message = std::move(why);
  return r;
}

protocol::response answer_account_request(const std::string& id, ledger::account_state& st,
                                          const protocol::request& req) {
  protocol::response resp;
  resp.op = req.op;
  resp.rid = req.rid;
  if (req.op == op_kind::block || req.op == op_kind::unblock) {
    auto wanted = req.op == op_kind::block ? account_status::blocked : account_status::active;
    if (st.status != wanted) {
      st.status = wanted;
      ++st.version;  // a status change is a change of the account
    }
  }
  resp.account = id;
  resp.currency = ledger::currency_text(st.currency);
  resp.kind = st.kind;
  resp.status = st.status;
  resp.balance = st.balance;
  resp.version = st.version;
  return resp;
}

}  // namespace settle::actors
