#include "gateway/transfer_order.hpp"

#include "base/invariant.hpp"
#include "ledger/keys.hpp"

namespace settle::gateway {

using protocol::op_kind;
using protocol::txn_kind;

transfer_order::verdict transfer_order::admit(uint64_t seq, const protocol::request_view& r) {
  const bool transfer = r.op == op_kind::txn && r.kind == txn_kind::transfer && !r.to.empty() &&
                        r.to != r.account;
  if (!transfer) {
    if (r.account.empty() || queues_.empty())
      return verdict::send;
    auto q = queues_.find(ledger::key(r.account));
    if (q == queues_.end())
      return verdict::send;
    q->second.push_back(seq);
    entry e;
    e.accounts.emplace_back(r.account);
    entries_.emplace(seq, std::move(e));
    return verdict::hold;  // a queue exists, so something is ahead of it
  }
  entry e;
  e.transfer = true;
  e.accounts.emplace_back(r.account);
  e.accounts.emplace_back(r.to);
  for (const auto& a : e.accounts)
    queues_[a].push_back(seq);
  bool now = first_everywhere(seq, e);
  e.sent = now;
  entries_.emplace(seq, std::move(e));
  return now ? verdict::send_tracked : verdict::hold;
}

void transfer_order::hold(uint64_t seq, protocol::request r) {
  auto it = entries_.find(seq);
  SETTLE_ASSERT(it != entries_.end() && !it->second.sent,
                "transfer_order::hold: only a request admit() answered `hold` for may be held");
  it->second.held = std::move(r);
}

bool transfer_order::first_everywhere(uint64_t seq, const entry& e) const {
  for (const auto& a : e.accounts) {
    auto q = queues_.find(a);
    if (q == queues_.end() || q->second.front() != seq)
      return false;
  }
  return true;
}

void transfer_order::leave(uint64_t seq, const entry& e) {
  for (const auto& a : e.accounts) {
    auto q = queues_.find(a);
    SETTLE_ASSERT(q != queues_.end() && q->second.front() == seq,
                  "transfer_order::leave: a request leaves its account queues only from the front");
    q->second.pop_front();
    if (q->second.empty())
      queues_.erase(q);
  }
}

void transfer_order::advance(const std::string& account, std::vector<released>& out) {
  for (;;) {
    auto q = queues_.find(account);
    if (q == queues_.end())
      return;
    uint64_t next = q->second.front();
    auto it = entries_.find(next);
    SETTLE_ASSERT(it != entries_.end(),
                  "transfer_order: every sequence number in a queue has its entry");
    auto& e = it->second;
    if (e.sent || !first_everywhere(next, e))
      return;
    released r;
    r.seq = next;
    r.req = std::move(e.held);
    r.tracked = e.transfer;
    out.push_back(std::move(r));
    if (e.transfer) {
      e.sent = true;  // stays first in its queues until answered
      return;
    }
    // Sent to its shard: whatever follows on this account is ordered by that shard's mailbox.
    auto accounts = e.accounts;
    leave(next, e);
    entries_.erase(it);
    for (const auto& a : accounts)
      if (a != account)
        advance(a, out);
  }
}

std::vector<transfer_order::released> transfer_order::finish(uint64_t seq) {
  std::vector<released> out;
  auto it = entries_.find(seq);
  if (it == entries_.end())
    return out;
  auto accounts = it->second.accounts;
  leave(seq, it->second);
  entries_.erase(it);
  for (const auto& a : accounts)
    advance(a, out);
  return out;
}

}  // namespace settle::gateway
