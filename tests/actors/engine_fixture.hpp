// An in-process engine (actor system + actors, no TCP) driven synchronously by tests.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/engine.hpp"
#include "actors/messages.hpp"
#include "protocol/messages.hpp"

namespace settle::testing {

/// Builds requests tersely.
struct req {
  static protocol::request open(std::string account, std::string currency);
  static protocol::request balance(std::string account);
  static protocol::request partner(std::string partner);
  static protocol::request block(std::string account);
  static protocol::request unblock(std::string account);
  static protocol::request txn(protocol::txn_kind kind, std::string id, std::string account,
                               int64_t amount, std::string currency, std::string partner = {});
  static protocol::request rollback(std::string id, std::string ref, std::string account,
                                    std::string currency, std::string partner);
  static protocol::request transfer(std::string id, std::string from, std::string to,
                                    int64_t amount, std::string currency);
};

/// One engine per fixture; `call` sends a request and waits for its response.
class engine_fixture {
public:
  explicit engine_fixture(actors::engine_options opts = default_options());
  ~engine_fixture();

  static actors::engine_options default_options();

  protocol::response call(const protocol::request& r);
  /// Balance of any account (players, house:C, partner:P:C); asserts the call succeeded.
  int64_t balance_of(const std::string& account);
  /// Sum of active account actors over all directories.
  uint64_t active_accounts();

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<actors::engine> eng;
};

}  // namespace settle::testing
