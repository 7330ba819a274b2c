// Account operations shared by the active account actor and its directory (which serves
// passive accounts without activating them).
#pragma once

#include <string>

#include "actors/messages.hpp"
#include "ledger/account_rules.hpp"
#include "protocol/messages.hpp"

namespace settle::actors {

/// The account as a leg_result (for reads and refusals).
leg_result describe(const ledger::account_state& st);

/// Applies `l`, returning the outcome with the state afterwards.
leg_result apply(ledger::account_state& st, const ledger::leg& l);

/// Answers a `balance`, `block` or `unblock` request on an existing account.
protocol::response answer_account_request(const std::string& id, ledger::account_state& st,
                                          const protocol::request& req);

}  // namespace settle::actors
