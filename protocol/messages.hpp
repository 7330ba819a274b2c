// Protocol v1 messages as plain C++ values: what the codec decodes from and encodes to frames.
// No CAF, no sockets: the client library and the engine both use these.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace settle::protocol {

inline constexpr uint32_t protocol_version = 1;

/// Error codes of protocol v1 (docs/protocol.md). `none` means success.
enum class error_code : uint8_t {
  none = 0,
  bad_request,
  unauthenticated,
  forbidden,
  unknown_account,
  account_exists,
  account_blocked,
  currency_mismatch,
  invalid_amount,
  insufficient_funds,
  id_conflict,
  rolled_back,
  ref_mismatch,
  unknown_partner,
  overloaded,
  unavailable,
  internal,
  // Settlement (docs/settlement.md); after `internal` so earlier codes keep their numbers.
  rate_limited,
  partner_suspended,
  credit_exhausted,
  fx_missing,
  unknown_period,
  no_contract,
};

/// The last error code: tables and tests cover 0..last_error_code.
constexpr error_code last_error_code = error_code::no_contract;

/// Request operations. The settlement ops (contract_set .. reconcile) come after the others, so
/// earlier ops keep their numbers; their payloads are in protocol/settlement.hpp.
enum class op_kind : uint8_t {
  hello, open, txn, balance, partner, block, unblock, snapshot, subscribe, unsubscribe,
  contract_set, contract, period_close, statements, statement, fx_set, fx, topup, suspend, resume,
  reconcile,
  history, audit,  // docs/protocol.md "History and audit"
};

/// The last op: tables and tests cover 0..last_op_kind.
constexpr op_kind last_op_kind = op_kind::audit;
/// The last of the settlement ops (contract_set .. reconcile).
constexpr op_kind last_settlement_op = op_kind::reconcile;

/// The partner settlement ops (docs/protocol.md "Settlement ops"), decoded off the hot path.
constexpr bool is_settlement_op(op_kind op) {
  return op >= op_kind::contract_set && op <= last_settlement_op;
}

/// The most changes or audit entries one `history` or `audit` answer carries (`limit`).
constexpr uint32_t max_page_items = 1000;
constexpr uint32_t default_page_items = 100;  // `limit` absent

struct settlement_request;  // protocol/settlement.hpp
struct settlement_answer;

/// Transaction kinds of the `txn` op.
enum class txn_kind : uint8_t { bet, win, rollback, deposit, withdraw, transfer };

/// Account kinds: players are opened by clients, house and partner accounts on first use.
enum class account_kind : uint8_t { player, partner, house };

/// Account status: blocked accounts refuse bets, deposits and transfers.
enum class account_status : uint8_t { active, blocked };

/// Outcome of a successful `txn`.
enum class txn_status : uint8_t { applied, duplicate, noop };

/// Client roles bound to tokens.
enum class role : uint8_t { admin, partner, viewer };

std::string_view to_string(error_code);
std::string_view to_string(op_kind);
std::string_view to_string(txn_kind);
std::string_view to_string(account_kind);
std::string_view to_string(account_status);
std::string_view to_string(txn_status);
std::string_view to_string(role);

/// Parse helpers: return false when the text names no value.
bool parse(std::string_view, error_code&);
bool parse(std::string_view, op_kind&);
bool parse(std::string_view, txn_kind&);
bool parse(std::string_view, account_kind&);
bool parse(std::string_view, account_status&);
bool parse(std::string_view, txn_status&);
bool parse(std::string_view, role&);

/// True only for errors where a retry with the same transaction id may succeed.
constexpr bool is_retryable(error_code e) {
  return e == error_code::overloaded || e == error_code::unavailable ||
         e == error_code::internal || e == error_code::rate_limited;
}

/// One decoded request. Flat on purpose: one struct for all ops keeps the codec and routing
/// simple; fields an op does not use stay empty.
struct request {
  op_kind op = op_kind::hello;
  uint64_t rid = 0;
  std::string token;     // hello
  std::string account;   // open, txn, balance, block, unblock
  std::string currency;  // open, txn
  std::string partner;   // txn (bet/win/rollback), partner
  // txn only
  std::string id;
  txn_kind kind = txn_kind::bet;
  int64_t amount = 0;
  bool has_amount = false;  // amount is optional on rollback only
  std::string round, game, ref, to;
  // subscribe
  std::vector<std::string> accounts, partners;
  bool all = false;
  bool alerts = false;  // subscribe: the [[alerts]] rules' alert events
  // unsubscribe
  uint64_t subscription = 0;
  // history (with account; partner: only that partner's changes), audit (with before)
  uint32_t limit = 0;  // 0: absent (default_page_items)
  uint64_t before_version = 0;  // 0: absent
  std::string before;  // an audit entry id: older entries only ("" absent)
  // settlement ops (besides partner, and topup's amount, currency and id): set by the
  // decoder for every settlement op it accepts; nullptr for the other ops
  std::shared_ptr<const settlement_request> settlement;
};

/// A decoded request whose strings point into the frame body it was decoded from: valid only
/// while that body is; the I/O thread's allocation-free form of `request`.
struct request_view {
  op_kind op = op_kind::hello;
  uint64_t rid = 0;
  std::string_view token;     // hello
  std::string_view account;   // open, txn, balance, block, unblock
  std::string_view currency;  // open, txn
  std::string_view partner;   // txn (bet/win/rollback), partner
  // txn only
  std::string_view id;
  txn_kind kind = txn_kind::bet;
  int64_t amount = 0;
  bool has_amount = false;  // amount is optional on rollback only
  std::string_view round, game, ref, to;
  // subscribe: the msgpack arrays of ids as sent (already checked); list_items() reads them
  std::string_view account_list, partner_list;
  bool all = false;
  bool alerts = false;
  // unsubscribe
  uint64_t subscription = 0;
  // history, audit
  uint32_t limit = 0;
  uint64_t before_version = 0;
  std::string_view before;
  // settlement ops: the frame body, already checked (to_request and assign decode its
  // settlement fields). Set by decode_request for a settlement op it accepts, empty for one it
  // refuses; NOT reset for the other ops (the hot path does no work for it): read it only
  // when is_settlement_op(op).
  std::string_view settlement_body;
};

/// The strings of a list field of a request_view (account_list, partner_list), in order.
std::vector<std::string_view> list_items(std::string_view list);

/// An owned copy of `v`: what to keep once the frame body is gone.
request to_request(const request_view& v);

/// Copies `v` into `out`, reusing out's string buffers: no allocation once they are big enough.
void assign(request& out, const request_view& v);

/// Views into the strings of `r` (valid while `r` lives and its strings are unchanged). The
/// list fields of `subscribe` and the settlement fields are not carried (their views would
/// need msgpack bytes).
request_view view_of(const request& r);

/// Per-currency live totals of one partner.
struct currency_totals {
  std::string currency;
  int64_t bets = 0, wins = 0, rollbacks = 0;
  uint64_t bet_count = 0, win_count = 0, rollback_count = 0;
  int64_t ggr = 0;  // bets - wins - rollbacks
  friend bool operator==(const currency_totals&, const currency_totals&) = default;
};

/// One change of an account's balance, in a `history` answer (ledger/history keeps them).
struct history_entry {
  std::string txn;      // the transaction id
  std::string partner;  // bets, wins, rollbacks
  std::string round, game;
  std::string ref;      // rollbacks: the bet
  std::string to;       // transfers: the other account
  int64_t amount = 0;   // signed change of the balance
  int64_t balance = 0;  // after
  int64_t at_unix_ms = 0;
  uint64_t version = 0;  // after
  txn_kind kind = txn_kind::bet;
  friend bool operator==(const history_entry&, const history_entry&) = default;
};

/// One admin op, in an `audit` answer (newest first).
struct audit_entry {
  std::string id;  // the audit stream's entry id ("<ms>-<seq>"): `before` of the next page
  int64_t at_unix_ms = 0;
  std::string who;     // the token's name
  std::string op;      // the op's name
  std::string target;  // the account or partner it named ("" none)
  std::string result;  // "ok" or the error code
  std::string message; // the error's message ("" on success)
  friend bool operator==(const audit_entry&, const audit_entry&) = default;
};

/// One response. `op` says which payload fields are meaningful; on error only
/// `error`, `message` (and for a refused txn on a known account `balance`) are.
struct response {
  op_kind op = op_kind::hello;
  uint64_t rid = 0;
  error_code error = error_code::none;
  std::string message;
  // hello
  role granted_role = role::viewer;
  uint32_t protocol_version = 0;
  // hello (bound partner), partner
  std::string partner;
  // open, balance
  std::string account, currency;
  account_kind kind = account_kind::player;
  account_status status = account_status::active;
  // txn
  txn_status outcome = txn_status::applied;
  // txn, balance; on a refused txn present when has_balance
  int64_t balance = 0;
  uint64_t version = 0;
  bool has_balance = false;
  // partner
  std::vector<currency_totals> totals;
  // subscribe
  uint64_t subscription = 0;
  // history (with account), audit
  std::vector<history_entry> changes;
  std::vector<audit_entry> entries;
  // settlement ops (besides partner): nullptr for the other ops; encode_response writes
  // defaults for a settlement op without one
  std::shared_ptr<const settlement_answer> settlement;

  bool ok() const { return error == error_code::none; }
};

/// What an event reports.
enum class event_kind : uint8_t { balance, partner, closed, alert };

/// A message the engine sends on its own on a connection that subscribed (no `rid`): a change
/// of an account's balance, a partner's totals, or why the engine closes the stream.
struct event {
  event_kind kind = event_kind::balance;
  int64_t at_unix_ms = 0;  // balance, partner: when the change was made
  uint64_t version = 0;    // balance: the account's; partner: the clearing account's
  std::string currency;    // balance, partner
  // balance
  std::string account;
  int64_t balance = 0;
  bool has_txn = false;     // false for the current state sent right after subscribing
  std::string txn;          // the transaction id
  std::string change;       // a txn kind, or open / block / unblock
  int64_t amount = 0;       // signed change of the balance
  std::string round, game;  // bets, wins, rollbacks: as sent (with `partner`)
  // partner (and balance: the bet's, win's or rollback's partner)
  std::string partner;
  int64_t bets = 0, wins = 0, rollbacks = 0, ggr = 0;
  // closed: why; alert: what (credit_low, credit_exhausted)
  std::string reason;
  // alert (with partner, currency, at): a supplier's credit left and its credit_alert
  int64_t credit_remaining = 0, credit_alert = 0;
  // alert of an [[alerts]] rule (name not empty): firing or resolved, with its numbers
  std::string name, state;
  double value = 0, threshold = 0;
  std::vector<std::pair<std::string, std::string>> labels;  // e.g. rule, partner
};

/// Builds an error response for `rid`.
response make_error(op_kind op, uint64_t rid, error_code code, std::string message);

}  // namespace settle::protocol
