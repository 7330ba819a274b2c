// settle-reconcile-load: applies N bets and wins of one partner with known ids and amounts
// (pipelined), then writes the partner's report of them as a CSV for `settlectl reconcile`
// (docs/settlement.md, report format) with planted differences: some rows left out
// (missing_in_report), some amounts changed (mismatched), some ids the engine never saw
// (missing_in_engine). It can also write the engine's side (--truth) for a peer to compare.
// bench/reconcile.sh drives it.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "client/client.hpp"

namespace {

using settle::protocol::txn_kind;

struct options {
  std::string connect = "127.0.0.1:7070";
  std::string partner = "prov0";
  uint64_t rows = 1'000'000;
  uint32_t accounts = 1000;
  uint32_t depth = 512;
  uint32_t planted = 10;  // of each kind of difference
  std::string csv = "report.csv";
  std::string truth;  // "" = not written
};

/// Row i: a win every fifth row, else a bet; amounts 1..97 minor units.
txn_kind kind_of(uint64_t i) { return i % 5 == 4 ? txn_kind::win : txn_kind::bet; }
int64_t amount_of(uint64_t i) { return 1 + static_cast<int64_t>(i % 97); }
std::string id_of(uint64_t i) { return fmt::format("rc-{:08}", i); }
std::string account_of(uint64_t i, uint32_t accounts) { return fmt::format("rca{}", i % accounts); }

settle::protocol::request txn(txn_kind kind, std::string id, std::string account, int64_t amount,
                              const std::string& partner) {
  settle::protocol::request r;
  r.op = settle::protocol::op_kind::txn;
  r.kind = kind;
  r.id = std::move(id);
  r.account = std::move(account);
  r.amount = amount;
  r.has_amount = true;
  r.currency = "EUR";
  if (kind == txn_kind::bet || kind == txn_kind::win)
    r.partner = partner;
  return r;
}

/// Sends every request of `make(i)` for i in [0, n), `depth` in flight; dies on a refusal.
template <class F>
void pipelined(settle::client::connection& c, uint64_t n, uint32_t depth, F&& make) {
  uint64_t sent = 0, answered = 0;
  while (answered < n) {
    while (sent < n && sent - answered < depth)
      c.send(make(sent++));
    c.flush();
    do {
      auto r = c.receive(30'000);
      if (!r)
        throw std::runtime_error("no answer within 30 s");
      if (!r->ok())
        throw std::runtime_error(fmt::format("refused: {}: {}", settle::protocol::to_string(r->error),
                                             r->message));
      ++answered;
    } while (c.response_ready());
  }
}

void load(const options& o) {
  const auto colon = o.connect.rfind(':');
  settle::client::connection c{o.connect.substr(0, colon),
                               static_cast<uint16_t>(std::stoi(o.connect.substr(colon + 1)))};
  if (const char* token = std::getenv("SETTLE_ADMIN_TOKEN"); token && *token)
    if (auto h = c.hello(token); !h.ok())
      throw std::runtime_error("hello refused: " + h.message);
  for (uint32_t a = 0; a < o.accounts; ++a)
    if (auto r = c.open(fmt::format("rca{}", a), "EUR"); !r.ok())
      throw std::runtime_error("open refused: " + r.message);
  pipelined(c, o.accounts, o.depth, [&](uint64_t a) {
    return txn(txn_kind::deposit, fmt::format("rcd{}", a), fmt::format("rca{}", a),
               1'000'000'000, o.partner);
  });
  pipelined(c, o.rows, o.depth, [&](uint64_t i) {
    return txn(kind_of(i), id_of(i), account_of(i, o.accounts), amount_of(i), o.partner);
  });
}

void write_csv(const options& o) {
  std::ofstream report{o.csv}, truth;
  if (!o.truth.empty())
    truth.open(o.truth);
  report << "id,kind,amount,currency\n";
  if (truth.is_open())
    truth << "id,kind,amount,currency\n";
  // Planted differences, spread over the period: every step-th row left out, the row after
  // it with another amount.
  const uint64_t step = o.planted == 0 ? o.rows + 1 : std::max<uint64_t>(o.rows / o.planted, 2);
  for (uint64_t i = 0; i < o.rows; ++i) {
    const auto kind = settle::protocol::to_string(kind_of(i));
    if (truth.is_open())
      truth << id_of(i) << ',' << kind << ',' << amount_of(i) << ",EUR\n";
    if (i % step == 0 && i / step < o.planted)
      continue;  // missing_in_report
    const bool changed = i % step == 1 && i / step < o.planted;
    report << id_of(i) << ',' << kind << ',' << amount_of(i) + (changed ? 1000 : 0) << ",EUR\n";
  }
  for (uint32_t k = 0; k < o.planted; ++k)
    report << "rc-extra-" << k << ",bet,5,EUR\n";  // missing_in_engine
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  CLI::App app{"Applies N transactions of one partner and writes its report as a CSV"};
  app.add_option("--connect", o.connect, "settled's address host:port");
  app.add_option("--partner", o.partner, "the partner of every bet and win");
  app.add_option("--rows", o.rows, "transactions to apply and report")->check(CLI::Range(1, 100'000'000));
  app.add_option("--accounts", o.accounts, "player accounts")->check(CLI::Range(1, 1'000'000));
  app.add_option("--depth", o.depth, "requests in flight")->check(CLI::Range(1, 100'000));
  app.add_option("--planted", o.planted, "differences of each kind in the report");
  app.add_option("--csv", o.csv, "where the partner's report goes");
  app.add_option("--truth", o.truth, "where the engine's side goes (for a peer; optional)");
  bool csv_only = false;
  app.add_flag("--csv-only", csv_only, "write the CSV files without applying anything");
  CLI11_PARSE(app, argc, argv);
  try {
    if (!csv_only)
      load(o);
    write_csv(o);
  } catch (const std::exception& e) {
    std::cerr << "settle-reconcile-load: " << e.what() << "\n";
    return 2;
  }
  std::cout << fmt::format("rows {} planted {}\n", o.rows, o.planted);
  return 0;
}
