// The ledger's contract written as plainly as possible: a sequential map-based model that
// the property test compares the actor engine against, response by response.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "protocol/messages.hpp"

namespace settle::testing {

class reference_model {
public:
  explicit reference_model(int64_t max_amount) : max_amount_(max_amount) {}

  protocol::response apply(const protocol::request& r);
  /// Sum of every balance of `currency` (players, house, partners).
  int64_t total(const std::string& currency) const;

  struct account {
    std::string currency;
    protocol::account_kind kind = protocol::account_kind::player;
    protocol::account_status status = protocol::account_status::active;
    int64_t balance = 0;
    uint64_t version = 0;
  };
  std::map<std::string, account> accounts;  // players and clearing accounts by id
  std::map<std::string, std::map<std::string, protocol::currency_totals>> partners;

private:
  struct remembered {
    protocol::request req;
    bool tombstone = false;
    bool rolled_back = false;
    protocol::txn_status outcome = protocol::txn_status::applied;
    int64_t balance = 0;
    uint64_t version = 0;
  };
  protocol::response txn(const protocol::request& r);
  protocol::response refuse(const protocol::request& r, protocol::error_code code);
  protocol::response done(const protocol::request& r, protocol::txn_status outcome);
  /// Player leg checks in the engine's order; nullopt when allowed.
  std::optional<protocol::error_code> check(const account& a, const protocol::request& r,
                                            bool debit, bool transfer_target) const;
  void counterparty(const protocol::request& r, int64_t player_change, int64_t amount);
  static bool same_fields(const protocol::request& a, const protocol::request& b);

  int64_t max_amount_;
  std::map<std::string, remembered> ids_;  // namespace + '\0' + id
};

}  // namespace settle::testing
