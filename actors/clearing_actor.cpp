#include "actors/clearing_actor.hpp"

#include <cassert>

#include "actors/messages.hpp"

namespace settle::actors {

using protocol::error_code;
using protocol::op_kind;

clearing_actor::clearing_actor(caf::actor_config& cfg, std::string partner,
                               account_map recovered)
    : caf::event_based_actor(cfg), partner_(std::move(partner)), accounts_(std::move(recovered)) {
  // nop
}

caf::behavior clearing_actor::make_behavior() {
  return {
      [=, this](delta_atom, const ledger::clearing_delta& d) {
        assert(d.partner == partner_);
        accounts_[d.currency].apply(d);
      },
      [=, this](const protocol::request& req) -> protocol::response {
        protocol::response resp;
        resp.op = req.op;
        resp.rid = req.rid;
        if (req.op == op_kind::partner) {
          resp.partner = partner_;
          for (auto& [currency, acc] : accounts_)
            resp.totals.push_back(acc.totals(currency));
          return resp;
        }
        assert(req.op == op_kind::balance);
        ledger::clearing_owner owner;
        ledger::currency_code currency = 0;
        bool valid = false;
        ledger::parse_reserved_account(req.account, owner, currency, valid);
        auto it = accounts_.find(currency);
        if (!valid || it == accounts_.end())
          return protocol::make_error(req.op, req.rid, error_code::unknown_account,
                                      "account '" + req.account + "' does not exist");
        resp.account = req.account;
        resp.currency = ledger::currency_text(currency);
        resp.kind = partner_.empty() ? protocol::account_kind::house
                                     : protocol::account_kind::partner;
        resp.status = protocol::account_status::active;
        resp.balance = it->second.balance;
        resp.version = it->second.version;
        return resp;
      },
  };
}

}  // namespace settle::actors
