// A partner's settlement contract (contract_set) and its periods: what the fields mean, which
// values are refused (one error code and a message naming the field), and how periods open
// and close under a contract that may change. Pure: instants come in as arguments; the time
// zone is loaded once, when the contract is checked (ledger/calendar).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/calendar.hpp"
#include "ledger/currency.hpp"
#include "protocol/messages.hpp"

namespace settle::ledger {

/// provider: a game provider; supplier: a credit supplier reselling providers' games (may
/// hold prepaid credit); payment: a payment provider.
enum class partner_kind : uint8_t { provider, supplier, payment };

std::string_view to_string(partner_kind);

/// contract_set's fields as they arrive; an absent optional field is std::nullopt.
struct contract_fields {
  std::string_view partner, kind, currency, cycle;
  std::optional<std::string_view> tz, cutoff, weekday, day, via;
  std::optional<int64_t> share_bps, credit_alert, max_tps;
};

/// contract_fields with their own strings: what a journal record keeps.
struct contract_fields_owned {
  std::string partner, kind, currency, cycle;
  std::optional<std::string> tz, cutoff, weekday, day, via;
  std::optional<int64_t> share_bps, credit_alert, max_tps;

  static contract_fields_owned of(const contract_fields& f);
  contract_fields view() const;
};

struct contract {
  std::string partner;
  partner_kind kind = partner_kind::provider;
  currency_code currency = 0;  // the settlement currency
  cycle_spec cycle;
  uint32_t share_bps = 0;                // 0..10000 of GGR
  std::string via;                       // a supplier this provider settles through, or ""
  std::optional<int64_t> credit_alert;   // suppliers: alert below this credit (minor units)
  uint32_t max_tps = 0;                  // transactions per second, 0 = no limit
  uint32_t revision = 0;                 // 1, 2, ... per partner, set when it is accepted
};

/// A checked contract, or the refusal.
struct contract_check {
  std::optional<contract> accepted;
  protocol::error_code error = protocol::error_code::none;
  std::string message;
};

/// The limits a contract's numbers are checked against.
inline constexpr int64_t max_share_bps = 10'000;
inline constexpr int64_t max_contract_tps = 10'000'000;

/// Checks contract_set's fields, in this order, each refusal `bad_request` naming the field:
/// partner (a valid partner id), kind, currency (an ISO 4217 currency, ledger/money), the
/// cycle (ledger/calendar: cycle, weekday, day, cutoff, tz), share_bps (0..10000), via (a
/// provider's only; a partner whose contract is a supplier's, `contract_of` tells, in the
/// same settlement currency; not itself), credit_alert (a supplier's only, >= 0), max_tps
/// (1..10000000; absent: none).
/// The revision is left 0: the caller numbers accepted contracts.
contract_check check_contract(
    const contract_fields& fields,
    const std::function<const contract*(std::string_view partner)>& contract_of);

/// A closed period: numbers start at 1 per partner; `to` is exclusive and the next period
/// starts there.
struct closed_period {
  uint64_t period = 0;
  int64_t from_unix_ms = 0, to_unix_ms = 0;
  uint32_t revision = 0;  // of the contract the period was settled under
};

/// A partner's open period and the contract it runs under. A contract change applies from
/// the next period: it waits as `pending` until the open period closes.
class partner_schedule {
public:
  /// The first contract: period 1 opens at `at_unix_ms`.
  partner_schedule(contract first, int64_t at_unix_ms);

  /// A new revision: in force from the next period.
  void change(contract next);

  /// Closes the open period at `at_unix_ms` (period_close, or an automatic close at its
  /// boundary) and opens the next one there, under the pending contract if there is one.
  /// `at_unix_ms` is not before the open period's start (asserted).
  closed_period close(int64_t at_unix_ms);

  /// The boundary the open period closes at automatically.
  int64_t closes_at_unix_ms() const { return closes_at_unix_ms_; }
  uint64_t open_period() const { return period_; }
  int64_t open_since_unix_ms() const { return from_unix_ms_; }
  const contract& in_force() const { return current_; }
  const std::optional<contract>& pending() const { return pending_; }
  /// The newest revision: the pending one if any, else the one in force.
  const contract& newest() const { return pending_ ? *pending_ : current_; }

private:
  contract current_;
  std::optional<contract> pending_;
  uint64_t period_ = 1;
  int64_t from_unix_ms_ = 0;
  int64_t closes_at_unix_ms_ = 0;
};

}  // namespace settle::ledger
