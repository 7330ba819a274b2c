#include "client/settlectl_settlement.hpp"

#include <charconv>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

#include <fmt/format.h>

#include "client/json_output.hpp"
#include "client/reconcile_chunks.hpp"
#include "client/settlement_output.hpp"
#include "protocol/settlement.hpp"

namespace settle::client::settlectl {

namespace {

using protocol::op_kind;

/// --day: an integer 1..28 or `last` (the engine checks it again).
std::string check_day(const std::string& text) {
  if (text == "last")
    return {};
  int n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc{} && end == text.data() + text.size() && n >= 1 && n <= 28)
    return {};
  return "expected 1..28 or last, got '" + text + "'";
}

/// Prints an answer: errors as `error CODE: MESSAGE` on stderr (the JSON object on stdout with
/// --json), the rest on stdout.
void print_answer(const protocol::response& r, const protocol::request& req, bool json) {
  if (json)
    std::cout << to_json(r) << std::endl;
  else if (!r.ok())
    std::cerr << to_text(r) << std::endl;
  else
    std::cout << to_text(r, req) << std::endl;
}

/// A fresh id for a chunked report (docs/protocol.md "Chunks": one per run).
std::string fresh_reconcile_id() {
  std::random_device rd;
  std::mt19937_64 gen{(static_cast<uint64_t>(rd()) << 32) ^ rd()};
  return fmt::format("settlectl-{:016x}", gen());
}

}  // namespace

settlement_commands::settlement_commands(CLI::App& app) {
  add_contract_set(app);
  add_reads(app);
  add_changes(app);
  add_fx(app);
  add_reconcile(app);
}

CLI::App* settlement_commands::add(CLI::App& app, const char* name, op_kind op,
                                   const char* help) {
  CLI::App* c = app.add_subcommand(name, help);
  entries_.push_back({c, op});
  if (op != op_kind::fx_set && op != op_kind::fx)
    c->add_option("--partner", o_.partner, "partner id")->required();
  return c;
}

void settlement_commands::add_contract_set(CLI::App& app) {
  auto* c = add(app, "contract-set", op_kind::contract_set,
                "set a partner's settlement contract; a change applies from the next period "
                "(admin)");
  c->add_option("--kind", o_.kind, "the partner's kind")
      ->required()
      ->check(CLI::IsMember({"provider", "supplier", "payment"}));
  c->add_option("--currency", o_.currency, "settlement currency (ISO 4217)")->required();
  c->add_option("--cycle", o_.cycle, "settlement cycle")
      ->required()
      ->check(CLI::IsMember({"daily", "weekly", "monthly"}));
  c->add_option("--tz", o_.tz, "IANA time zone of the cutoff (default UTC)");
  c->add_option("--cutoff", o_.cutoff, "HH:MM local time of each boundary (default 00:00)");
  c->add_option("--weekday", o_.weekday, "weekly: the boundary's day")
      ->check(CLI::IsMember({"mon", "tue", "wed", "thu", "fri", "sat", "sun"}));
  c->add_option("--day", o_.day, "monthly: the boundary's day, 1..28 or last")
      ->check(CLI::Validator{check_day, "1..28|last"});
  c->add_option("--share-bps", o_.share_bps, "the partner's share of GGR, 0..10000 bps")
      ->required();
  c->add_option("--via", o_.via, "a provider's supplier (a partner with a supplier contract)");
  credit_alert_ = c->add_option("--credit-alert", o_.credit_alert,
                                "suppliers: alert below this credit (minor units)");
  max_tps_ = c->add_option("--max-tps", o_.max_tps, "transactions per second at most");
}

void settlement_commands::add_reads(CLI::App& app) {
  add(app, "contract", op_kind::contract, "show a partner's contract");
  auto* list = add(app, "statements", op_kind::statements,
                   "list a partner's closed periods, newest first");
  list->add_option("--limit", o_.limit, "at most this many")
      ->check(CLI::Range(1u, protocol::max_statements_limit));
  auto* one = add(app, "statement", op_kind::statement,
                  "show the statement of a closed period (--csv: as CSV, --json: as JSON)");
  one->add_option("--period", o_.period, "the period's number")->required();
  one->add_flag("--csv", o_.csv, "print it as one CSV (the layout: README.md, settlectl)");
}

void settlement_commands::add_changes(CLI::App& app) {
  add(app, "close", op_kind::period_close, "close a partner's open period now (admin)");
  auto* topup = add(app, "topup", op_kind::topup, "add prepaid credit to a supplier (admin)");
  topup->add_option("--amount", o_.amount, "minor units, > 0")->required();
  topup->add_option("--currency", o_.currency, "the supplier's settlement currency")
      ->required();
  topup->add_option("--id", o_.id, "idempotency key (per partner)")->required();
  add(app, "suspend", op_kind::suspend, "refuse a partner's bets (admin)");
  add(app, "resume", op_kind::resume, "accept a suspended partner's bets again (admin)");
}

void settlement_commands::add_fx(CLI::App& app) {
  auto* set = add(app, "fx-set", op_kind::fx_set,
                  "set an FX rate: quote units per one base unit (admin)");
  set->add_option("--base", o_.base, "the currency priced")->required();
  set->add_option("--quote", o_.quote, "the currency it is priced in")->required();
  set->add_option("--rate", o_.rate, "an exact decimal, major units (e.g. 1382.50)")
      ->required();
  auto* get = add(app, "fx", op_kind::fx, "show the newest rate set for a pair");
  get->add_option("--base", o_.base, "the currency priced")->required();
  get->add_option("--quote", o_.quote, "the currency it is priced in")->required();
}

void settlement_commands::add_reconcile(CLI::App& app) {
  auto* c = add(app, "reconcile", op_kind::reconcile,
                "compare a partner's report CSV with a closed period (admin); exit 0 all "
                "match, 1 something differs, 2 an error");
  c->add_option("--period", o_.period, "the period's number")->required();
  c->add_option("REPORT", o_.report, "the report: CSV with the header id,kind,amount,currency")
      ->required();
  c->add_option("--max-frame-bytes", o_.max_frame_bytes,
                "the engine's max_frame_bytes: no request is larger")
      ->capture_default_str()
      ->check(CLI::Range(4096u, 1u << 30));
}

const settlement_commands::entry* settlement_commands::given_entry() const {
  for (const auto& e : entries_)
    if (e.command->parsed())
      return &e;
  return nullptr;
}

bool settlement_commands::given() const { return given_entry() != nullptr; }

int settlement_commands::refused_status() const {
  const entry* e = given_entry();
  return e != nullptr && e->op == op_kind::reconcile ? exit_failed : exit_refused;
}

std::optional<std::string> settlement_commands::make_request(protocol::request& req,
                                                             bool json) const {
  const entry* e = given_entry();
  if (e == nullptr)
    return "no settlement command given";
  if (o_.csv && json)
    return "statement: --csv and --json exclude each other";
  req.op = e->op;
  req.partner = o_.partner;
  auto s = std::make_shared<protocol::settlement_request>();
  auto& t = s->contract;
  t.kind = o_.kind;
  t.currency = o_.currency;
  t.cycle = o_.cycle;
  t.tz = o_.tz;
  t.cutoff = o_.cutoff;
  t.weekday = o_.weekday;
  t.day = o_.day;
  t.share_bps = o_.share_bps;
  t.via = o_.via;
  if (credit_alert_->count() > 0)
    t.credit_alert = o_.credit_alert;
  if (max_tps_->count() > 0)
    t.max_tps = o_.max_tps;
  s->period = o_.period;
  s->limit = o_.limit;
  s->base = o_.base;
  s->quote = o_.quote;
  s->rate = o_.rate;
  if (e->op == op_kind::topup) {
    req.amount = o_.amount;
    req.has_amount = true;
    req.currency = o_.currency;
    req.id = o_.id;
  }
  req.settlement = std::move(s);
  return std::nullopt;
}

int settlement_commands::prepare() const {
  const entry* e = given_entry();
  if (e == nullptr || e->op != op_kind::reconcile)
    return exit_ok;
  std::ifstream in{o_.report, std::ios::binary};
  if (!in) {
    std::cerr << "settlectl: cannot open the report " << o_.report << "\n";
    return exit_failed;
  }
  try {
    check_report(in);
  } catch (const client_error& err) {  // report_csv_error: its line and field
    std::cerr << "settlectl: " << o_.report << ": " << err.what() << "\n";
    return exit_failed;
  }
  return exit_ok;
}

int settlement_commands::run(connection& conn, const protocol::request& req, bool json) const {
  if (req.op == op_kind::reconcile)
    return run_reconcile(conn, req, json);
  const auto resp = conn.call(req);
  if (o_.csv && resp.ok())
    std::cout << statement_csv(resp) << std::flush;
  else
    print_answer(resp, req, json);
  return resp.ok() ? exit_ok : exit_refused;
}

int settlement_commands::run_reconcile(connection& conn, const protocol::request& req,
                                       bool json) const {
  std::ifstream in{o_.report, std::ios::binary};
  if (!in) {
    std::cerr << "settlectl: cannot open the report " << o_.report << "\n";
    return exit_failed;
  }
  try {
    reconcile_chunker chunks{in, req.partner, o_.period, fresh_reconcile_id(),
                             protocol::max_reconcile_rows, o_.max_frame_bytes};
    std::optional<protocol::response> last;
    std::optional<protocol::request> sent;
    while ((sent = chunks.next())) {
      last = conn.call(*sent);
      if (!last->ok()) {
        print_answer(*last, *sent, json);
        return exit_failed;
      }
    }
    static const protocol::settlement_answer none;
    const auto& a = last->settlement ? last->settlement->reconcile : none.reconcile;
    if (!a.complete || a.rows_received != chunks.rows_sent()) {
      std::cerr << fmt::format(
          "settlectl: the engine has {} of the {} rows sent{} (did the reconcile_id expire?); "
          "run it again\n",
          a.rows_received, chunks.rows_sent(), a.complete ? "" : " and no result");
      return exit_failed;
    }
    print_answer(*last, req, json);
    const bool differs = a.missing_in_engine_count != 0 || a.missing_in_report_count != 0 ||
                         a.mismatched_count != 0 || a.duplicate_in_report_count != 0;
    return differs ? exit_differs : exit_ok;
  } catch (const report_csv_error& err) {  // the file changed since prepare() checked it
    std::cerr << "settlectl: " << o_.report << ": " << err.what() << "\n";
    return exit_failed;
  }
}

}  // namespace settle::client::settlectl
