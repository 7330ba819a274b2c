#include "gateway/authorization.hpp"

#include "ledger/keys.hpp"

namespace settle::gateway {

using protocol::error_code;
using protocol::op_kind;
using protocol::role;
using protocol::txn_kind;

token_table::token_table(const std::vector<config::token_entry>& tokens) {
  for (const auto& t : tokens)
    tokens_[t.token] = t;
}

const config::token_entry* token_table::find(std::string_view token) const {
  auto it = tokens_.find(ledger::key(token));
  return it == tokens_.end() ? nullptr : &it->second;
}

namespace {

error_code forbid(std::string& why, std::string text) {
  why = std::move(text);
  return error_code::forbidden;
}

bool is_partner_kind(txn_kind k) {
  return k == txn_kind::bet || k == txn_kind::win || k == txn_kind::rollback;
}

}  // namespace

error_code authorize(const session_identity& who, const protocol::request_view& req,
                     std::string& why) {
  if (!who.authenticated) {
    why = "send hello with a valid token first";
    return error_code::unauthenticated;
  }
  if (who.granted_role == role::admin)
    return error_code::none;
  bool reserved = req.account.starts_with("house:") || req.account.starts_with("partner:");
  if (who.granted_role == role::viewer) {
    if (req.op == op_kind::balance || req.op == op_kind::partner ||
        req.op == op_kind::subscribe || req.op == op_kind::unsubscribe ||
        req.op == op_kind::history)
      return error_code::none;
    return forbid(why, "viewer tokens are read-only");
  }
  // role::partner: its own transactions, player accounts, and its own clearing accounts.
  switch (req.op) {
    case op_kind::open:
      return error_code::none;
    case op_kind::txn:
      if (!is_partner_kind(req.kind))
        return forbid(why, "partner tokens may only send bets, wins and rollbacks");
      if (req.partner != who.partner)
        return forbid(why, "this token may only transact for partner '" + who.partner + "'");
      return error_code::none;
    case op_kind::balance:
      if (reserved && !req.account.starts_with("partner:" + who.partner + ":"))
        return forbid(why, "this token may only read partner '" + who.partner + "' accounts");
      return error_code::none;
    case op_kind::partner:
      if (req.partner != who.partner)
        return forbid(why, "this token may only read partner '" + who.partner + "'");
      return error_code::none;
    case op_kind::subscribe:
      // Accounts are checked where they live: each must have transacted with this partner
      // (the publisher asks the shards; see subscribe_order::partner_check).
      if (req.all)
        return forbid(why, "partner tokens may not subscribe to all accounts");
      if (req.alerts)
        return forbid(why, "partner tokens may not follow the engine's alerts");
      for (auto p : protocol::list_items(req.partner_list))
        if (p != who.partner)
          return forbid(why, "this token may only follow partner '" + who.partner + "'");
      for (auto a : protocol::list_items(req.account_list))
        if ((a.starts_with("house:") || a.starts_with("partner:")))
          return forbid(why, "partner tokens may only follow player accounts");
      return error_code::none;
    case op_kind::unsubscribe:
      return error_code::none;
    case op_kind::history:
      // Its own partner's changes of player accounts (the session sets the filter).
      if (reserved)
        return forbid(why, "partner tokens may only read the history of player accounts");
      if (!req.partner.empty() && req.partner != who.partner)
        return forbid(why, "this token may only read partner '" + who.partner + "' changes");
      return error_code::none;
    case op_kind::contract:
    case op_kind::statements:
    case op_kind::statement:
      // A partner reads its own contract and statements (docs/protocol.md, Settlement ops).
      if (req.partner != who.partner)
        return forbid(why, "this token may only read partner '" + who.partner + "'");
      return error_code::none;
    default:
      return forbid(why, "only admin tokens may " + std::string{protocol::to_string(req.op)});
  }
}

}  // namespace settle::gateway
