// The peers' answers in the engine's vocabulary, and the request fields both peers derive the
// same way the engine does (namespace, fingerprint, amount).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace settle::bench::peers {

/// A peer's result as the engine's txn response: `code` is a txn status (applied, duplicate,
/// noop) or an error code name (insufficient_funds, ...); an unknown code is `internal`.
protocol::response peer_answer(std::string_view code, int64_t balance, uint64_t version,
                               bool has_balance, std::string message);

/// A transport or server failure (script error, SQL error) as an `internal` answer.
protocol::response peer_failure(std::string message);

/// The namespace of a transaction's id: its partner for bets, wins and rollbacks, "" for
/// deposits and withdrawals (the engine's ledger::id_namespace).
std::string_view id_namespace(const protocol::request& txn);

/// The engine's fingerprint of the fields a retry must repeat (ledger::fingerprint), as a
/// signed value for storage (PostgreSQL bigint).
int64_t request_fingerprint(const protocol::request& txn);

/// The amount the request names: empty for a rollback without one.
std::optional<int64_t> named_amount(const protocol::request& txn);

}  // namespace settle::bench::peers
