#include "bench/recovery/serve_check.hpp"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "bench/recovery/prepare.hpp"
#include "client/client.hpp"
#include "client/json_output.hpp"

namespace settle::bench::recovery {

namespace {

using clock_type = std::chrono::steady_clock;

double ms_since(clock_type::time_point t0) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
}

void expect_balance(client::connection& c, const std::string& account, int64_t expected) {
  auto r = c.balance(account);
  if (!r.ok() || r.balance != expected)
    throw std::runtime_error(fmt::format("balance of {}: expected {}, got {}", account, expected,
                                         client::to_text(r)));
}

}  // namespace

serve_report check_serving(const serve_expectations& e) {
  serve_report rep;
  auto t0 = clock_type::now();
  client::connection c{e.host, e.port};
  auto hello = c.hello(e.admin_token);
  if (!hello.ok())
    throw std::runtime_error("hello refused: " + client::to_text(hello));
  // The first balance asked is the first real answer; which one depends on what was prepared.
  bool first = true;
  auto timed_balance = [&](const std::string& account, int64_t expected) {
    expect_balance(c, account, expected);
    if (first)
      rep.first_answer_ms = ms_since(t0);
    first = false;
  };
  if (e.deposited_account)
    timed_balance(*e.deposited_account, deposit_minor_units);
  if (e.untouched_account)
    timed_balance(*e.untouched_account, 0);

  protocol::request dep;
  dep.kind = protocol::txn_kind::deposit;
  // Unique per run, so a kept data directory could be started again without a duplicate.
  dep.id = fmt::format("recovery-bench-{}",
                       std::chrono::system_clock::now().time_since_epoch().count());
  dep.account = e.new_deposit_account;
  dep.currency = "EUR";
  dep.amount = deposit_minor_units;
  dep.has_amount = true;
  auto r = c.txn(dep);
  int64_t expected = e.new_deposit_balance_before + deposit_minor_units;
  if (!r.ok() || r.outcome != protocol::txn_status::applied || r.balance != expected)
    throw std::runtime_error(fmt::format("new deposit on {}: expected applied with balance {}, "
                                         "got {}",
                                         e.new_deposit_account, expected,
                                         client::to_text(r, dep)));
  if (first)
    rep.first_answer_ms = ms_since(t0);
  rep.checks_ms = ms_since(t0);
  return rep;
}

}  // namespace settle::bench::recovery
