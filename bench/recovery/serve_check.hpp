// "Ready to serve" means it answers: after the listening line, a client connects, reads
// balances the recovery must have restored, and makes a new deposit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace settle::bench::recovery {

/// What to ask and what the answers must be.
struct serve_expectations {
  std::string host;
  uint16_t port = 0;
  std::string admin_token;
  std::optional<std::string> deposited_account;  // must show the prepared deposit
  std::optional<std::string> untouched_account;  // must show 0
  std::string new_deposit_account;               // gets a fresh deposit
  int64_t new_deposit_balance_before = 0;
};

/// How long the answers took.
struct serve_report {
  double first_answer_ms = 0;  // connect + hello + the first balance
  double checks_ms = 0;        // every check, the deposit included
};

/// Runs the checks; throws std::runtime_error naming the first answer that is wrong.
serve_report check_serving(const serve_expectations& e);

}  // namespace settle::bench::recovery
