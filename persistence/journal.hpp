// The journal stage: every applied change passes through it before it is acknowledged.
// Today it keeps nothing (in-memory engine); the Redis group-commit journal replaces
// memory_journal behind the same interface.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "protocol/messages.hpp"

namespace settle::persistence {

/// The effects of one applied transaction, enough to re-apply it without re-deciding it.
struct journal_record {
  std::string txn_id;
  std::string id_namespace;  // partner, or "" for payments
  protocol::txn_kind kind = protocol::txn_kind::bet;
  protocol::txn_status outcome = protocol::txn_status::applied;
  std::string account;       // player account (transfers: the source)
  std::string counterparty;  // house:C, partner:P:C, or the transfer target
  std::string currency;
  int64_t amount = 0;
  int64_t balance_after = 0;  // the player account's
  uint64_t version_after = 0;
  uint64_t fingerprint = 0;
  std::string ref;  // rollbacks: the bet id
  int64_t at_unix_ms = 0;
};

/// Where journal records go. `append` calls `on_durable` exactly once, when the record is
/// durable; the caller acknowledges only then. Called from one actor at a time.
class journal_stage {
public:
  virtual ~journal_stage() = default;
  virtual void append(journal_record record, std::function<void()> on_durable) = 0;
  virtual uint64_t records_appended() const = 0;
};

/// No durability: acknowledges at once. Used until the Redis journal exists, and in tests.
class memory_journal final : public journal_stage {
public:
  void append(journal_record, std::function<void()> on_durable) override {
    ++appended_;
    on_durable();
  }
  uint64_t records_appended() const override { return appended_; }

private:
  uint64_t appended_ = 0;
};

}  // namespace settle::persistence
