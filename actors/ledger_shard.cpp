// The ledger shard's machinery: intake of requests, journal chunks, release of answers once
// durable, and undo when a chunk does not land. The rules themselves are in shard_txn.cpp and
// shard_transfer.cpp.
#include "actors/ledger_shard.hpp"


#include <chrono>

#include <absl/container/inlined_vector.h>
#include <caf/all.hpp>

#include "base/invariant.hpp"
#include "base/wall_clock.hpp"
#include "ledger/id_store.hpp"
#include "ledger/keys.hpp"
#include "persistence/journal_batch.hpp"

namespace settle::actors {

using persistence::durability;
using protocol::error_code;
using protocol::op_kind;

namespace {

reply unavailable(std::string why) {
  reply r;
  r.error = error_code::unavailable;
  r.message = std::move(why);
  return r;
}

constexpr const char* in_doubt_message =
    "the journal did not confirm a write in time (Redis is not answering); its outcome is "
    "unknown, retry later with the same id";

}  // namespace

ledger_shard::ledger_shard(caf::actor_config& cfg, ledger_shard_setup s)
    : caf::io::broker(cfg),
      index_(s.index),
      routes_(std::move(s.routes)),
      ids_(std::move(s.ids)),
      journal_(std::move(s.journal)),
      opts_(s.opts),
      limits_{s.opts.max_amount},
      accounts_(std::move(s.accounts)),
      partner_spill_(std::move(s.partner_spill)),
      metrics_(std::move(s.metrics)),
      history_(std::move(s.history)) {
  if (metrics_)
    metrics_->accounts.fetch_add(static_cast<int64_t>(accounts_.size()));
  for (auto& [id, st] : accounts_)  // recovered accounts: where their history ends
    st.history_head = history_.head_of(id);
  history_.forget_names();
  open_.shard = index_;
  open_.seq = 1;
}

caf::behavior ledger_shard::make_behavior() {
  if (journal_) {
    // The writer thread reports here. A weak handle: the writer must not keep us alive.
    auto weak = caf::actor_cast<caf::weak_actor_ptr>(this);
    journal_->attach(index_, [weak](uint64_t first, uint64_t last, durability d) {
      if (auto strong = weak.lock())
        caf::anon_send(caf::actor_cast<caf::actor>(strong), journal_atom::value, first, last, d);
    });
  }
  later(std::chrono::seconds(1), caf::make_message(sweep_atom::value));
  return {
      [=, this](request_batch& in) { on_batch(in); },
      [=, this](protocol::request& req) -> caf::result<protocol::response> {
        return on_single(req);
      },
      [=, this](chunk_atom) {
        flush_chunk();
        end_turn();
      },
      [=, this](journal_atom, uint64_t first, uint64_t last, durability d) {
        refresh_now();
        on_outcome(first, last, d);
        end_turn();
      },
      [=, this](xcheck_atom, const std::string& account, const std::string& currency) {
        return check_target(account, currency);
      },
      [=, this](xcredit_atom, transfer_credit& c) -> caf::result<leg_verdict> {
        refresh_now();
        auto res = credit_target(c);
        end_turn();
        return res;
      },
      [=, this](xretry_atom, const ledger::id_hash& key) { on_transfer_retry(key); },
      [=, this](xlate_atom, const ledger::id_hash& key) { on_transfer_late(key); },
      [=, this](flush_atom) { return take_deltas(); },
      [=, this](flush_tick_atom) {
        flush_armed_ = false;
        if (!deltas_.empty())
          send(routes_->registry, delta_atom::value, take_deltas());
      },
      [=, this](sweep_atom) { sweep_ids(); },
      [=, this](watch_atom, watch_order& order) {
        refresh_now();
        on_watch(std::make_shared<const watch_order>(std::move(order)));
        end_turn();
      },
      [=, this](unwatch_atom, const watch_order& order) { on_unwatch(order); },
      [=, this](stats_atom) { return stats(); },
      [=, this](dump_atom) { return dump(); },
      [=, this](gate_atom, partner_gate_update& update) { on_gate(update); },
      [=, this](barrier_atom, int64_t to_unix_ms) -> caf::result<bool> {
        refresh_now();
        auto res = on_barrier(to_unix_ms);
        end_turn();
        return res;
      },
  };
}

void ledger_shard::on_batch(request_batch& in) {
  refresh_now();
  held_batch b;
  b.owner = std::move(in.owner);
  b.requests = std::move(in.requests);
  b.session = std::move(in.session);
  b.received_ns = in.received_ns;
  take(std::move(b));
  end_turn();
}

caf::result<protocol::response> ledger_shard::on_single(protocol::request& req) {
  refresh_now();
  auto owned = std::make_shared<protocol::request>(std::move(req));
  held_batch b;
  b.requests.push_back(protocol::view_of(*owned));
  b.owner = std::move(owned);
  b.promise = make_response_promise();
  auto rp = b.promise;
  take(std::move(b));
  end_turn();
  return rp;
}

void ledger_shard::on_transfer_retry(const ledger::id_hash& key) {
  refresh_now();
  auto it = transfers_.find(key);
  if (it != transfers_.end()) {
    auto t = it->second;
    if (t->at == transfer::stage::crediting)
      transfer_credit_now(t);
    else if (t->at == transfer::stage::refunding)
      transfer_refund(t);
  }
  end_turn();
}

void ledger_shard::on_transfer_late(const ledger::id_hash& key) {
  // The client has waited long enough: it learns the end by retrying the same id.
  auto it = transfers_.find(key);
  if (it != transfers_.end() && !it->second->answered)
    transfer_answer(it->second,
                    unavailable("the transfer is still under way; retry later with the same id"));
  end_turn();
}

void ledger_shard::sweep_ids() {
  // Each shard sweeps its share of the shared id store's stripes (index_, index_ + n, ...), a
  // few per second: all at once would stall every account of the shard.
  const size_t step = routes_->ledger_shards.size();
  const size_t mine = std::max<size_t>(1, (ids_->stripes() - index_ + step - 1) / step);
  const size_t interval_s = std::max<uint32_t>(1, opts_.id_sweep_interval_s);
  const size_t per_tick = (mine + interval_s - 1) / interval_s;
  const int64_t now_s = wall_clock_ms() / 1000;
  for (size_t k = 0; k < per_tick; ++k, ++sweep_next_) {
    size_t stripe = index_ + step * (sweep_next_ % mine);
    ids_->expire(now_s, opts_.id_retention_s, stripe, ids_->stripes());  // just this one
  }
  // History expires in one pass over the shard's accounts once per sweep interval.
  if (now_s - history_expired_s_ >= static_cast<int64_t>(interval_s)) {
    history_expired_s_ = now_s;
    history_.expire(now_s * 1000);
  }
  later(std::chrono::seconds(1), caf::make_message(sweep_atom::value));
}

shard_stats ledger_shard::stats() const {
  shard_stats st;
  st.accounts = accounts_.size();
  st.in_flight = items_.size();
  st.transfers = transfers_.size();
  st.remembered_ids = ids_->size();
  return st;
}

shard_dump ledger_shard::dump() const {
  return shard_dump{accounts_, partner_spill_};
}

void ledger_shard::on_exit() {
  items_.clear();
  batches_.clear();
  pending_events_.clear();
  transfers_.clear();
  outgoing_.clear();
  routes_.reset();
  if (journal_)
    journal_->attach(index_, nullptr);
  journal_.reset();
}

// -- intake -----------------------------------------------------------------------------------

void ledger_shard::take(held_batch batch) {
  batches_.push_back(std::move(batch));
  auto& b = batches_.back();
  // The id store and the accounts are far bigger than the caches: start loading what the
  // whole batch touches before applying it, so the misses overlap instead of queueing one
  // after another (measured with bench/micro/apply_bench.cpp: about a third less per bet).
  // Local, not a member: a transfer that ends while this batch is handled takes the
  // requests parked behind it (take() again).
  absl::InlinedVector<ledger::id_hash, 64> keys(b.requests.size());
  for (uint32_t i = 0; i < b.requests.size(); ++i) {
    const auto& r = b.requests[i];
    if (r.op != op_kind::txn)
      continue;
    keys[i] = ledger::hash_id(ledger::id_namespace(r), r.id);
    ids_->prefetch(keys[i]);
    accounts_.prefetch(ledger::key(r.account));
  }
  for (uint32_t i = 0; i < b.requests.size(); ++i)
    handle(b, i, keys[i]);
}

void ledger_shard::handle(held_batch& b, uint32_t i, const ledger::id_hash& key) {
  const auto& r = b.requests[i];
  if (in_doubt_from_ != 0) {
    reply out = unavailable(in_doubt_message);
    out.op = r.op;
    return answer_now(b, i, std::move(out));
  }
  if (items_.size() + transfers_.size() >= opts_.max_pending) {
    reply out;
    out.op = r.op;
    out.error = error_code::overloaded;
    out.message = "too many changes waiting for the journal in this shard (max_shard_queue " +
                  std::to_string(opts_.max_pending) + ")";
    return answer_now(b, i, std::move(out));
  }
  switch (r.op) {
    case op_kind::txn:
      return on_txn(b, i, key);
    case op_kind::open:
      return on_open(b, i);
    case op_kind::balance:
      return on_balance(b, i);
    case op_kind::history:
      return on_history(b, i);
    case op_kind::block:
    case op_kind::unblock:
      return on_status(b, i);
    default: {
      reply out;
      out.op = r.op;
      out.error = error_code::internal;
      out.message = "request routed to a ledger shard by mistake";
      return answer_now(b, i, std::move(out));
    }
  }
}

void ledger_shard::answer_now(held_batch& b, uint32_t i, reply r) {
  r.rid = b.requests[i].rid;
  r.kind = b.requests[i].kind;
  r.received_ns = b.received_ns;
  deliver_to(b.session, b.promise, std::move(r));
}

ledger_shard::item ledger_shard::make_item(held_batch* b, uint32_t i) {
  item it;
  it.batch = b;
  it.index = i;
  if (b != nullptr) {
    it.answer.rid = b->requests[i].rid;
    it.answer.op = b->requests[i].op;
  }
  return it;
}

void ledger_shard::answer_later(item it) {
  it.chunk = wait_chunk();
  if (it.batch != nullptr)
    ++it.batch->waiting;
  items_.push_back(std::move(it));
}

uint64_t ledger_shard::wait_chunk() const {
  // After what is in the open chunk, or after the last chunk handed to the journal.
  return open_.records > 0 ? open_.seq : last_live_;
}

void ledger_shard::append(const persistence::record_view& rec) {
  if (watching())
    note_change(rec);
  if (!journal_)
    return;
  persistence::append_record(open_.bytes, rec);
  ++open_.records;
}

void ledger_shard::arm_chunk() {
  // The chunk goes to the journal after the messages already waiting are applied: records of
  // everything that arrived meanwhile travel in one chunk.
  if (open_.records > 0 && !chunk_armed_) {
    chunk_armed_ = true;
    send(this, chunk_atom::value);
  }
}

void ledger_shard::later(caf::timespan delay, caf::message msg) {
  delayed_send(routes_->timers, delay, forward_atom::value, caf::actor_cast<caf::actor>(this),
               std::move(msg));
}

void ledger_shard::end_turn() {
  // One reply_batch per session per turn; batches whose answers all went out are dropped.
  release();
  send_replies();
  release_events();
  drop_released_batches();
  arm_chunk();
  if (!deltas_.empty() &&
      clock::now() - deltas_since_ >= std::chrono::microseconds(opts_.partner_flush_interval_us))
    send(routes_->registry, delta_atom::value, take_deltas());
}

void ledger_shard::flush_chunk() {
  chunk_armed_ = false;
  if (open_.records == 0)
    return;
  persistence::journal_chunk c = std::move(open_);
  open_ = persistence::journal_chunk{};
  open_.shard = index_;
  open_.seq = c.seq + 1;
  open_.epoch = c.epoch;
  open_.bytes.reserve(c.bytes.size());
  const uint64_t seq = c.seq;
  if (journal_->append(std::move(c))) {
    last_live_ = seq;
    return;
  }
  // Never seen by the writer: undone here, no later chunk depends on it.
  undo_from(seq, "the journal's queue is full (Redis is slow or away); nothing was changed, "
                 "retry later");
}

// -- journal outcomes -------------------------------------------------------------------------

void ledger_shard::on_outcome(uint64_t first, uint64_t last, durability d) {
  switch (d) {
    case durability::durable:
      SETTLE_ASSERT(last >= durable_, "the journal reported chunk " + std::to_string(last) +
                                          " durable after " + std::to_string(durable_));
      durable_ = std::max(durable_, last);
      if (in_doubt_from_ != 0 && durable_ >= last_live_ && open_.records == 0)
        in_doubt_from_ = 0;
      return;
    case durability::uncertain:
      if (last < epoch_start_)
        return;
      if (in_doubt_from_ == 0)
        in_doubt_from_ = first;
      // Answer within the deadline: everything from `first` on may or may not stand. The
      // changes stay applied until the writer knows; other shards waiting on us keep waiting.
      for (auto& it : items_) {
        if (it.chunk < first || it.answered)
          continue;
        if (it.batch != nullptr) {
          it.answered = true;
          reply r = unavailable(in_doubt_message);
          r.op = it.answer.op;
          r.rid = it.answer.rid;
          deliver(it, std::move(r));
        } else if (it.xfer && it.then != follow_up::credit_answer && !it.xfer->answered) {
          transfer_answer(it.xfer, unavailable(in_doubt_message));
        }
      }
      return;
    case durability::failed:
      if (last < epoch_start_)
        return;  // chunks of an epoch already undone
      undo_from(first, "the journal is unavailable; nothing was changed, retry later");
      // What stands is the chunk before `first` only if this epoch wrote it: one before the
      // epoch began was undone with the epoch before (and a read waiting on it would wait
      // for the next write that lands).
      last_live_ = first > epoch_start_ ? first - 1 : live_before_epoch_;
      live_before_epoch_ = last_live_;
      open_.epoch += 1;
      epoch_start_ = open_.seq;
      in_doubt_from_ = 0;
      return;
  }
}

void ledger_shard::release() {
  while (!items_.empty() && items_.front().chunk <= durable_) {
    commit(items_.front());
    items_.pop_front();
  }
}

void ledger_shard::commit(item& it) {
  if (it.clearing.present)
    add_clearing(it.clearing);
  switch (it.then) {
    case follow_up::none:
      break;
    case follow_up::transfer_debit:
      it.xfer->at = transfer::stage::crediting;
      transfer_credit_now(it.xfer);
      break;
    case follow_up::transfer_refund:
    case follow_up::transfer_refused: {
      reply r;
      r.error = it.xfer->refusal;
      r.message = it.xfer->refusal_message;
      auto acc = accounts_.find(ledger::key(it.xfer->req.account));
      if (acc != accounts_.end()) {  // refusals carry the balance when the account exists
        r.has_balance = true;
        r.balance = acc->second.balance;
        r.version = acc->second.version;
      }
      transfer_end(it.xfer, std::move(r), false);
      break;
    }
    case follow_up::barrier:
      it.promise.deliver(true);
      break;
    case follow_up::credit_answer: {
      leg_verdict v;
      v.balance = it.answer.balance;
      v.version = it.answer.version;
      it.promise.deliver(std::move(v));
      break;
    }
  }
  if (it.batch != nullptr) {
    if (!it.answered)
      deliver(it, std::move(it.answer));
    --it.batch->waiting;
  }
}

void ledger_shard::undo_from(uint64_t first, const std::string& why) {
  while (!items_.empty() && items_.back().chunk >= first) {
    undo(items_.back(), why);
    items_.pop_back();
  }
  drop_events_from(first);
  if (open_.records > 0 && open_.seq >= first) {
    // Its records describe changes just undone.
    open_.bytes.clear();
    open_.records = 0;
  }
}

void ledger_shard::undo_ids(const item& it, const protocol::request_view& r) {
  if (it.effects & id_reserved) {
    auto key = ledger::hash_id(ledger::id_namespace(r), r.id);
    ids_->with(key, [&](ledger::id_store::map& m) { m.erase(key); });
  }
  if (it.effects & (ref_marked | tombstone_left)) {
    auto key = ledger::hash_id(r.partner, r.ref);
    ids_->with(key, [&](ledger::id_store::map& m) {
      auto e = m.find(key);
      if (e == m.end())
        return;
      if (it.effects & tombstone_left)
        m.erase(e);
      else
        e->second.rolled_back = false;
    });
  }
}

void ledger_shard::undo(item& it, const std::string& why) {
  if (it.then == follow_up::barrier) {  // what it waited for is undone: nothing to wait for
    it.promise.deliver(true);
    return;
  }
  const protocol::request_view* r = it.batch != nullptr ? &it.batch->requests[it.index] : nullptr;
  std::string_view account = r != nullptr ? r->account : std::string_view{it.xfer->req.account};
  if (it.effects & account_created) {
    accounts_.erase(accounts_.find(ledger::key(account)));
    if (metrics_)
      metrics_->accounts.fetch_sub(1, std::memory_order_relaxed);
  } else if (it.effects & account_changed) {
    auto acc = accounts_.find(ledger::key(account));
    SETTLE_ASSERT(acc != accounts_.end(), "undo of a change to a missing account");
    acc->second = it.before;
  }
  if ((it.effects & second_changed) && r != nullptr) {
    auto acc = accounts_.find(ledger::key(r->to));
    SETTLE_ASSERT(acc != accounts_.end(), "undo of a change to a missing transfer target");
    acc->second = it.before2;
  }
  if (r != nullptr)
    undo_ids(it, *r);
  switch (it.then) {
    case follow_up::transfer_debit:
    case follow_up::transfer_refused:
      transfer_end(it.xfer, unavailable(why), false);
      break;
    case follow_up::transfer_refund:
      // The money must go back: try again; meanwhile the client hears `unavailable`.
      if (!it.xfer->answered)
        transfer_answer(it.xfer, unavailable("the transfer is being undone but the journal is "
                                             "not answering; retry later with the same id"));
      transfer_later(it.xfer);
      break;
    case follow_up::credit_answer: {
      leg_verdict v;
      v.error = error_code::unavailable;
      v.message = why;
      it.promise.deliver(std::move(v));
      break;
    }
    default:
      break;
  }
  if (it.batch != nullptr) {
    if (!it.answered) {
      reply out = unavailable(why);
      out.op = it.answer.op;
      out.rid = it.answer.rid;
      deliver(it, std::move(out));
    }
    --it.batch->waiting;
  }
}

void ledger_shard::deliver(item& it, reply r) {
  r.kind = it.batch->requests[it.index].kind;
  r.received_ns = it.batch->received_ns;
  deliver_to(it.batch->session, it.batch->promise, std::move(r));
}

void ledger_shard::deliver_to(const caf::actor& session, const caf::response_promise& promise,
                              reply r) {
  if (session) {
    auto [pos, added] = outgoing_index_.try_emplace(session.id(), outgoing_.size());
    if (added)
      outgoing_.emplace_back(session, std::vector<reply>{});
    outgoing_[pos->second].second.push_back(std::move(r));
    return;
  }
  // A single request from a tool or test: answered as a protocol::response.
  auto rp = promise;
  if (!rp.pending())
    return;
  if (r.full) {
    r.full->rid = r.rid;
    rp.deliver(std::move(*r.full));
    return;
  }
  protocol::response resp;
  resp.op = r.op;
  resp.rid = r.rid;
  resp.error = r.error;
  resp.message = std::move(r.message);
  resp.outcome = r.status;
  resp.balance = r.balance;
  resp.version = r.version;
  resp.has_balance = r.error == error_code::none || r.has_balance;
  rp.deliver(std::move(resp));
}

void ledger_shard::send_replies() {
  for (auto& [session, replies] : outgoing_)
    if (!replies.empty())
      send(session, reply_batch{std::move(replies)});
  outgoing_.clear();
  outgoing_index_.clear();
}

void ledger_shard::drop_released_batches() {
  // Items are answered in the order their batches came, so finished batches gather at the
  // front; batches answered at once (refusals while the journal is in doubt, say) sit at the
  // back and must not wait there behind older ones, each holding its read's bytes.
  while (!batches_.empty() && batches_.front().waiting == 0)
    batches_.pop_front();
  while (!batches_.empty() && batches_.back().waiting == 0)
    batches_.pop_back();
}

}  // namespace settle::actors
