// The engine's transaction rules as checks any wallet_target must pass (docs/protocol.md):
// the peers' tests run each check against a real Redis or PostgreSQL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "bench/wallet_target.hpp"

namespace settle::test {

/// What the checks need from a peer under test: fresh connections, and an account's balance
/// read from the store itself (not from the peer's answers).
class peer_under_test {
public:
  virtual ~peer_under_test() = default;
  virtual std::unique_ptr<bench::wallet_target> connect() = 0;
  virtual int64_t stored_balance(const std::string& account) = 0;
};

// Each check uses accounts of its own, so they can share one server in any order.
void setup_opens_and_funds_once(peer_under_test& peer);
void movements_change_the_balance(peer_under_test& peer);
void insufficient_funds_is_refused_with_the_balance(peer_under_test& peer);
void retry_answers_duplicate_and_changes_nothing(peer_under_test& peer);
void same_id_with_other_fields_is_id_conflict(peer_under_test& peer);
void rollback_refunds_the_bet_once(peer_under_test& peer);
void rollback_before_its_bet_leaves_a_tombstone(peer_under_test& peer);
void unknown_account_currency_and_amount_are_refused(peer_under_test& peer);
void pipelined_mix_moves_exactly_the_applied_amounts(peer_under_test& peer);
void racing_copies_of_one_id_apply_once(peer_under_test& peer);

}  // namespace settle::test
