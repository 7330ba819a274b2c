#include "actors/account_actor.hpp"

#include "actors/account_ops.hpp"
#include "actors/messages.hpp"

namespace settle::actors {

account_actor::account_actor(caf::actor_config& cfg, std::string id, ledger::account_state state,
                             caf::actor directory)
    : caf::event_based_actor(cfg),
      id_(std::move(id)),
      state_(state),
      directory_(std::move(directory)) {
  // nop
}

caf::behavior account_actor::make_behavior() {
  return {
      [=, this](leg_atom, const std::string&, const ledger::leg& l) { return apply(state_, l); },
      [=, this](peek_atom, const std::string&) { return describe(state_); },
      [=, this](const protocol::request& req) { return answer_account_request(id_, state_, req); },
      [=, this](passivate_atom) {
        send(directory_, passivated_atom::value, id_, state_);
        become(bouncing());
      },
  };
}

caf::behavior account_actor::bouncing() {
  // The directory forwarded these before it saw our state; it owns the account again now.
  return {
      [=, this](leg_atom a, const std::string& id, const ledger::leg& l) {
        return delegate(directory_, a, id, l);
      },
      [=, this](peek_atom a, const std::string& id) { return delegate(directory_, a, id); },
      [=, this](const protocol::request& req) { return delegate(directory_, req); },
      [=, this](stop_atom) { quit(); },
  };
}

}  // namespace settle::actors

namespace settle::actors {

void account_actor::on_exit() {
  directory_ = nullptr;
}

}  // namespace settle::actors
