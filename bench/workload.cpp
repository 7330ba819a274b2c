#include "bench/workload.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace settle::bench {

namespace {

const char* const currency_names[] = {"EUR", "USD", "KRW", "GBP", "JPY"};

}  // namespace

std::string player_id(uint64_t i) {
  return "p" + std::to_string(i);
}

std::string partner_id(uint64_t j) {
  return "prov" + std::to_string(j);
}

void validate(const workload_options& o) {
  if (o.bet_pct < 0 || o.win_pct < 0 || o.rollback_pct < 0 || o.deposit_pct < 0 ||
      o.withdraw_pct < 0 ||
      o.bet_pct + o.win_pct + o.rollback_pct + o.deposit_pct + o.withdraw_pct != 100)
    throw std::invalid_argument("the mix percentages must be >= 0 and add up to 100");
  if (o.bet_pct == 0 && (o.win_pct > 0 || o.rollback_pct > 0))
    throw std::invalid_argument("wins and rollbacks need bets (their rounds and ids)");
  if (o.accounts < 1 || o.partners < 1 || o.currencies < 1 || o.currencies > 5)
    throw std::invalid_argument("accounts and partners >= 1, currencies 1..5");
  if (o.retry_pct < 0 || o.retry_pct >= 100 || o.zipf_s < 0)
    throw std::invalid_argument("retry percentage 0..<100, zipf exponent >= 0");
}

std::vector<account_spec> accounts_of(const workload_options& o) {
  std::vector<account_spec> out;
  out.reserve(static_cast<size_t>(o.accounts));
  for (int i = 0; i < o.accounts; ++i)
    out.push_back({player_id(static_cast<uint64_t>(i)), currency_names[i % o.currencies],
                   o.initial_balance});
  return out;
}

workload_generator::workload_generator(const workload_options& o, int thread)
    : o_(o),
      thread_(thread),
      rng_(static_cast<uint64_t>(thread) * 7919 + 17),
      zipf_(static_cast<uint64_t>(o.accounts), o.zipf_s > 0 ? o.zipf_s : 1.0) {}

void workload_generator::player(protocol::request& r) {
  uint64_t i = o_.zipf_s > 0 ? zipf_(rng_) : pick(static_cast<uint64_t>(o_.accounts));
  // Popularity must not follow the id order (the hottest players would all share a currency
  // pattern and hash neighbourhood): scatter ranks over the population.
  i = (i * 2654435761u) % static_cast<uint64_t>(o_.accounts);
  r.account = player_id(i);
  r.currency = currency_names[i % static_cast<uint64_t>(o_.currencies)];
}

void workload_generator::remember(std::vector<protocol::request>& v, const protocol::request& r,
                                  uint64_t one_in) {
  if (v.size() < 256)
    v.push_back(r);
  else if (pick(one_in) == 0)
    v[pick(v.size())] = r;  // a bounded sample of recent requests, refreshed cheaply
}

protocol::request workload_generator::next() {
  if (!sent_.empty() && static_cast<double>(pick(1'000'000)) < o_.retry_pct * 10'000)
    return sent_[pick(sent_.size())];  // a provider retry of an earlier id
  protocol::request r;
  r.op = protocol::op_kind::txn;
  r.has_amount = true;
  // "<prefix>t<thread>-<seq>", formatted without fmt's machinery (a hot path here).
  char digits[48];
  r.id = o_.run_prefix;
  r.id += 't';
  r.id.append(digits, std::to_chars(digits, digits + sizeof digits, thread_).ptr);
  r.id += '-';
  r.id.append(digits, std::to_chars(digits, digits + sizeof digits, seq_++).ptr);
  r.amount = 1 + static_cast<int64_t>(pick(1000));
  auto dice = static_cast<int>(pick(100));
  int bet_end = o_.bet_pct, win_end = bet_end + o_.win_pct,
      rollback_end = win_end + o_.rollback_pct, deposit_end = rollback_end + o_.deposit_pct;
  if (dice >= bet_end && dice < rollback_end && bets_.empty())
    dice = 0;  // nothing to win on or roll back yet: bet
  if (dice < bet_end) {
    player(r);
    r.kind = protocol::txn_kind::bet;
    r.partner = partner_id(pick(static_cast<uint64_t>(o_.partners)));
    r.round = r.id;
    r.game = "slot" + std::to_string(pick(10));
    remember(bets_, r, 2);
  } else if (dice < win_end) {  // a win on the round of one of this thread's bets
    const auto& bet = bets_[pick(bets_.size())];
    r.kind = protocol::txn_kind::win;
    r.account = bet.account;
    r.currency = bet.currency;
    r.partner = bet.partner;
    r.round = bet.round;
    r.game = bet.game;
  } else if (dice < rollback_end) {  // a rollback of a recent bet
    const auto& bet = bets_[pick(bets_.size())];
    r.kind = protocol::txn_kind::rollback;
    r.account = bet.account;
    r.currency = bet.currency;
    r.partner = bet.partner;
    r.ref = bet.id;
    r.has_amount = false;
    r.amount = 0;
  } else {
    player(r);
    r.kind = dice < deposit_end ? protocol::txn_kind::deposit : protocol::txn_kind::withdraw;
  }
  remember(sent_, r, 8);
  return r;
}

}  // namespace settle::bench
