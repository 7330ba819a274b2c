// The `history` op on a ledger shard: the account's recent changes from the shard's history
// book (ledger/history.hpp), newest first. Answered behind the journal like `balance`, so it
// never shows a change that could still be undone.
#include "actors/ledger_shard.hpp"
#include "ledger/account_rules.hpp"
#include "ledger/keys.hpp"

namespace settle::actors {

void ledger_shard::on_history(held_batch& b, uint32_t i) {
  const auto& r = b.requests[i];
  if (!accounts_.contains(ledger::key(r.account)))
    return refuse(b, i, protocol::error_code::unknown_account,
                  ledger::no_such_account(r.account));
  const auto& account = accounts_.find(ledger::key(r.account))->second;
  auto resp = std::make_shared<protocol::response>();
  resp->op = protocol::op_kind::history;
  resp->account = std::string{r.account};
  const uint32_t limit = r.limit == 0 ? protocol::default_page_items : r.limit;
  // r.partner: a partner token's own partner (the session sets it), or an admin's filter.
  resp->changes = history_.page(account.history_head, limit, r.before_version, r.partner,
                                now_ms_);
  auto it = make_item(&b, i);
  it.answer.full = std::move(resp);
  answer_later(std::move(it));
}

}  // namespace settle::actors
