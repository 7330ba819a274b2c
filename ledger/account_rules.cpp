#include "ledger/account_rules.hpp"

#include "base/invariant.hpp"

namespace settle::ledger {

leg_side player_side(txn_kind kind) {
  switch (kind) {
    case txn_kind::bet:
    case txn_kind::withdraw:
    case txn_kind::transfer:
      return leg_side::debit;
    case txn_kind::win:
    case txn_kind::rollback:
    case txn_kind::deposit:
      return leg_side::credit;
  }
  return leg_side::debit;
}

bool blocked_refuses(txn_kind kind, bool transfer_target) {
  return kind == txn_kind::bet || kind == txn_kind::deposit || kind == txn_kind::transfer ||
         transfer_target;
}

error_code apply_leg(account_state& acc, const leg& l, std::string& why) {
  SETTLE_ASSERT(l.amount > 0, "a leg of " + std::to_string(l.amount));
  if (l.currency != acc.currency) {
    why = "account currency is " + currency_text(acc.currency) + ", transaction currency is " +
          currency_text(l.currency);
    return error_code::currency_mismatch;
  }
  if (acc.status == account_status::blocked && !l.refund &&
      blocked_refuses(l.kind, l.transfer_target)) {
    why = "account is blocked";
    return error_code::account_blocked;
  }
  int64_t next = 0;
  if (l.side == leg_side::debit) {
    if (__builtin_sub_overflow(acc.balance, l.amount, &next)) {
      why = "balance would overflow";
      return error_code::invalid_amount;
    }
    // Only players have a floor; house and partner accounts may go negative.
    if (acc.kind == account_kind::player && next < 0) {
      why = "balance " + std::to_string(acc.balance) + " is less than amount " +
            std::to_string(l.amount);
      return error_code::insufficient_funds;
    }
  } else if (__builtin_add_overflow(acc.balance, l.amount, &next)) {
    why = "balance would overflow";
    return error_code::invalid_amount;
  }
  acc.balance = next;
  ++acc.version;
  SETTLE_ASSERT(acc.kind != account_kind::player || acc.balance >= 0,
                "a player balance below its floor: " + std::to_string(acc.balance));
  return error_code::none;
}

}  // namespace settle::ledger
