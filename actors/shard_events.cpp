// The ledger shard's balance events: which accounts are watched, the events of their
// journaled changes, and the current state a new subscription starts from. An event waits,
// like an answer, until its chunk is durable, and is dropped with it when the chunk is undone,
// so only acknowledged changes are published, in each account's version order.

#include <caf/all.hpp>

#include "actors/ledger_shard.hpp"
#include "base/invariant.hpp"
#include "ledger/currency.hpp"
#include "ledger/keys.hpp"

namespace settle::actors {

using persistence::record_type;
using protocol::event;
using protocol::event_kind;

void ledger_shard::mark(ledger::account_state& st, std::string_view account,
                        std::string_view partner) {
  if (!partner.empty())
    ledger::mark_partner(st, partner_spill_, account, partner, partner_bits_);
}

void ledger_shard::note_change(const persistence::record_view& rec) {
  // Notes (a rollback that found nothing to refund, say) change no balance and no version.
  if (rec.type == record_type::txn && rec.outcome != protocol::txn_status::applied)
    return;
  if (watch_all_ == 0 && !watched_.contains(ledger::key(rec.account)))
    return;
  pending_event p;
  p.chunk = journal_ ? open_.seq : 0;  // the chunk the record is about to join
  event& e = p.ev;
  e.kind = event_kind::balance;
  e.at_unix_ms = rec.at_unix_ms;
  e.version = rec.version_after;
  e.currency = std::string{rec.currency};
  e.account = std::string{rec.account};
  e.balance = rec.balance_after;
  e.has_txn = true;
  e.txn = std::string{rec.txn_id};
  e.amount = rec.amount;
  e.partner = std::string{rec.partner};
  e.round = std::string{rec.round};
  e.game = std::string{rec.game};
  switch (rec.type) {
    case record_type::open:
      e.change = "open";
      break;
    case record_type::status:
      e.change = rec.status == protocol::account_status::blocked ? "block" : "unblock";
      break;
    case record_type::txn:
      e.change = std::string{protocol::to_string(rec.kind)};
      break;
  }
  SETTLE_ASSERT(pending_events_.empty() || pending_events_.back().chunk <= p.chunk,
                "events are released in chunk order");
  pending_events_.push_back(std::move(p));
}

void ledger_shard::on_watch(std::shared_ptr<const watch_order> order) {
  for (const auto& id : order->ids)
    ++watched_[id];
  if (order->all)
    ++watch_all_;
  if (order->request != 0 && !order->ids.empty())
    queue_watch_reply(std::move(order));
}

void ledger_shard::on_unwatch(const watch_order& order) {
  for (const auto& id : order.ids) {
    auto it = watched_.find(ledger::key(id));
    if (it != watched_.end() && --it->second == 0)
      watched_.erase(it);
  }
  if (order.all) {
    SETTLE_ASSERT(watch_all_ > 0, "a watcher of every account was counted");
    --watch_all_;
  }
}

void ledger_shard::queue_watch_reply(std::shared_ptr<const watch_order> order) {
  // The accounts as applied now: the reply is released once everything applied so far is
  // durable, and every event queued after it is newer.
  pending_event p;
  p.chunk = wait_chunk();
  p.reply.request = order->request;
  for (const auto& id : order->ids) {
    auto acc = accounts_.find(ledger::key(id));
    if (acc == accounts_.end()) {
      p.reply.unknown.push_back(id);
      continue;
    }
    if (!order->partner_check.empty() &&
        !ledger::has_partner(acc->second, partner_spill_, id, order->partner_check)) {
      p.reply.forbidden.push_back(id);
      continue;
    }
    event& e = p.reply.states.emplace_back();
    e.kind = event_kind::balance;
    e.at_unix_ms = now_ms_;
    e.version = acc->second.version;
    e.currency = ledger::currency_text(acc->second.currency);
    e.account = id;
    e.balance = acc->second.balance;
  }
  p.order = std::move(order);
  SETTLE_ASSERT(pending_events_.empty() || pending_events_.back().chunk <= p.chunk,
                "events are released in chunk order");
  pending_events_.push_back(std::move(p));
}

void ledger_shard::release_events() {
  // Replies undone with their chunk are taken again, after the undo settled the state.
  if (!retake_.empty()) {
    auto again = std::move(retake_);
    retake_.clear();
    for (auto& order : again)
      queue_watch_reply(std::move(order));
  }
  if (pending_events_.empty() || pending_events_.front().chunk > durable_)
    return;
  event_batch out;
  while (!pending_events_.empty() && pending_events_.front().chunk <= durable_) {
    auto& p = pending_events_.front();
    if (p.order)
      out.replies.emplace_back(out.events.size(), std::move(p.reply));
    else
      out.events.push_back(std::move(p.ev));
    pending_events_.pop_front();
  }
  auto& gate = *routes_->events;
  if (!out.events.empty() && !gate.admit(out.events.size())) {
    out.events.clear();  // the publisher is too far behind: it closes the streams
    for (auto& r : out.replies)
      r.first = 0;
  }
  if (!out.empty())
    send(routes_->publisher, std::move(out));
}

void ledger_shard::drop_events_from(uint64_t first) {
  std::vector<std::shared_ptr<const watch_order>> undone;
  while (!pending_events_.empty() && pending_events_.back().chunk >= first) {
    if (pending_events_.back().order)
      undone.push_back(std::move(pending_events_.back().order));
    pending_events_.pop_back();
  }
  // Newest first above: taken again oldest first.
  retake_.insert(retake_.end(), undone.rbegin(), undone.rend());
}

}  // namespace settle::actors
