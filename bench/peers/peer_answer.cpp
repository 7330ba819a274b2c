#include "bench/peers/peer_answer.hpp"

#include "ledger/id_store.hpp"

namespace settle::bench::peers {

protocol::response peer_answer(std::string_view code, int64_t balance, uint64_t version,
                               bool has_balance, std::string message) {
  protocol::response r;
  r.op = protocol::op_kind::txn;
  protocol::txn_status status{};
  protocol::error_code error{};
  if (protocol::parse(code, status)) {
    r.outcome = status;
    r.balance = balance;
    r.version = version;
    return r;
  }
  if (!protocol::parse(code, error) || error == protocol::error_code::none) {
    error = protocol::error_code::internal;
    message = "unknown answer '" + std::string{code} + "': " + message;
  }
  r.error = error;
  r.message = std::move(message);
  if (has_balance) {
    r.has_balance = true;
    r.balance = balance;
    r.version = version;
  }
  return r;
}

protocol::response peer_failure(std::string message) {
  return protocol::make_error(protocol::op_kind::txn, 0, protocol::error_code::internal,
                              std::move(message));
}

std::string_view id_namespace(const protocol::request& txn) {
  return ledger::id_namespace(txn);
}

int64_t request_fingerprint(const protocol::request& txn) {
  return static_cast<int64_t>(ledger::fingerprint(txn));
}

std::optional<int64_t> named_amount(const protocol::request& txn) {
  if (txn.kind == protocol::txn_kind::rollback && !txn.has_amount)
    return std::nullopt;
  return txn.amount;
}

}  // namespace settle::bench::peers
