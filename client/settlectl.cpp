// settlectl: command-line client of settled (open, txn, balance, partner, block, unblock,
// snapshot, watch, and the partner settlement commands of settlectl_settlement.hpp).
//
// Exit status: 0 for an ok response, 1 for an error response, 2 for usage or connection
// errors (including a request the engine would refuse as malformed: it is checked locally
// with the engine's own decoder before anything is sent). `watch` exits 0 when stopped
// (SIGINT, SIGTERM, --count, --seconds), 1 when its subscribe is refused or the engine closes
// the connection, 3 when the engine ends the stream with a `closed` event. `reconcile` exits
// 0 when every row matches, 1 when anything differs, 2 on any error.
#include <signal.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <optional>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "client/client.hpp"
#include "client/json_output.hpp"
#include "client/settlectl_settlement.hpp"

using namespace settle;

namespace {

using client::settlectl::exit_ok;
using client::settlectl::exit_refused;
using client::settlectl::exit_stream_closed;  // watch: the engine sent `closed` (too slow a reader)
using client::settlectl::exit_usage;

void print(const protocol::response& r, const protocol::request& req, bool json) {
  std::cout << (json ? client::to_json(r) : client::to_text(r, req)) << std::endl;
}

/// What `watch` follows and when it stops on its own.
struct watch_options {
  std::vector<std::string> accounts, partners;
  bool all = false;
  uint64_t count = 0;   // stop after this many events (0: no limit)
  double seconds = 0;   // stop after this many seconds (0: no limit)
};

volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int sig) {
  stop_signal = sig;
}

/// SIGINT and SIGTERM set stop_signal. No SA_RESTART: a blocked poll() returns at once, and
/// the watch loop waits in short slices anyway.
void install_stop_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

/// Events seen in the last second, for the `[#N R/s]` prefix.
class rate_window {
public:
  using clock = std::chrono::steady_clock;
  size_t add(clock::time_point now) {
    times_.push_back(now);
    while (now - times_.front() >= std::chrono::seconds(1))
      times_.pop_front();
    return times_.size();
  }

private:
  std::deque<clock::time_point> times_;
};

/// Subscribes on `conn` and prints the stream until a stop (see the exit statuses above).
int watch(client::connection& conn, const watch_options& w, bool json) {
  using clock = std::chrono::steady_clock;
  install_stop_handlers();  // before subscribing: a signal during the call is not lost
  auto sub = conn.subscribe(w.accounts, w.partners, w.all);
  if (!sub.ok()) {
    print(sub, protocol::request{}, json);
    return exit_refused;
  }
  std::cerr << fmt::format("settlectl: watching (subscription {}); Ctrl-C to stop\n",
                           sub.subscription);
  const auto start = clock::now();
  std::optional<clock::time_point> deadline;
  if (w.seconds > 0)
    deadline = start + std::chrono::duration_cast<clock::duration>(
                           std::chrono::duration<double>(w.seconds));
  uint64_t seen = 0;
  rate_window rate;
  auto summary = [&] {
    std::cerr << fmt::format("{} events in {:.1f} s\n", seen,
                             std::chrono::duration<double>(clock::now() - start).count());
  };
  for (;;) {
    if (stop_signal != 0 || (w.count > 0 && seen >= w.count)) {
      summary();
      return exit_ok;
    }
    // Short waits so a signal or the deadline is noticed within 100 ms (next_event goes
    // back to waiting after an interrupted poll).
    int wait_ms = 100;
    if (deadline) {
      auto now = clock::now();
      if (now >= *deadline) {
        summary();
        return exit_ok;
      }
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - now).count();
      wait_ms = static_cast<int>(std::min<int64_t>(wait_ms, left));
    }
    std::optional<protocol::event> e;
    try {
      e = conn.next_event(wait_ms);
    } catch (const client::client_error& err) {
      if (conn.closed())
        std::cerr << "settlectl: the engine closed the connection\n";
      else
        std::cerr << "settlectl: " << err.what() << "\n";
      summary();
      return exit_refused;
    }
    if (!e)
      continue;
    ++seen;
    if (json) {
      std::string line = client::to_json(*e);
      line += '\n';
      std::fwrite(line.data(), 1, line.size(), stdout);
    } else {
      fmt::print(stdout, "[#{} {}/s] {}\n", seen, rate.add(clock::now()), client::to_text(*e));
    }
    std::fflush(stdout);
    if (e->kind == protocol::event_kind::closed) {
      summary();
      return exit_stream_closed;
    }
  }
}

/// The subcommands, as CLI11 returns them: main asks which one was given.
struct commands {
  CLI::App* open = nullptr;
  CLI::App* txn = nullptr;
  CLI::Option* amount = nullptr;  // txn --amount, to tell whether it was given
  CLI::App* balance = nullptr;
  CLI::App* partner = nullptr;
  CLI::App* block = nullptr;
  CLI::App* unblock = nullptr;
  CLI::App* snapshot = nullptr;
  CLI::App* watch = nullptr;
  CLI::App* history = nullptr;
  CLI::App* audit = nullptr;
};

/// Adds the request subcommands (all but watch), whose fields go into `req` (`kind` for txn).
void add_request_commands(CLI::App& app, protocol::request& req, std::string& kind,
                          commands& c) {
  c.open = app.add_subcommand("open", "open a player account (idempotent for the same currency)");
  c.open->add_option("ACCOUNT", req.account, "account id")->required();
  c.open->add_option("CURRENCY", req.currency, "ISO 4217 code, e.g. EUR")->required();

  c.txn = app.add_subcommand("txn", "send a transaction");
  c.txn->add_option("KIND", kind, "transaction kind")
      ->required()
      ->check(CLI::IsMember({"bet", "win", "rollback", "deposit", "withdraw", "transfer"}));
  c.txn->add_option("--id", req.id, "transaction id (idempotency key)")->required();
  c.txn->add_option("--account", req.account, "player account")->required();
  c.amount =
      c.txn->add_option("--amount", req.amount, "amount in minor units (optional on rollback)");
  c.txn->add_option("--currency", req.currency, "ISO 4217 code, must be the account's")
      ->required();
  c.txn->add_option("--partner", req.partner, "partner id (required for bet, win, rollback)");
  c.txn->add_option("--round", req.round, "game round id");
  c.txn->add_option("--game", req.game, "game id");
  c.txn->add_option("--ref", req.ref, "id of the bet a rollback cancels");
  c.txn->add_option("--to", req.to, "credited account of a transfer");

  c.balance =
      app.add_subcommand("balance", "show an account (players, house:CUR, partner:P:CUR)");
  c.balance->add_option("ACCOUNT", req.account, "account id")->required();
  c.partner = app.add_subcommand("partner", "show a partner's live totals per currency");
  c.partner->add_option("PARTNER", req.partner, "partner id")->required();
  c.block = app.add_subcommand("block", "block an account (admin)");
  c.block->add_option("ACCOUNT", req.account, "account id")->required();
  c.unblock = app.add_subcommand("unblock", "unblock an account (admin)");
  c.unblock->add_option("ACCOUNT", req.account, "account id")->required();
  c.snapshot = app.add_subcommand(
      "snapshot", "write a snapshot now and trim the journal behind it (admin)");
  c.history = app.add_subcommand("history", "show an account's recent changes, newest first");
  c.history->add_option("ACCOUNT", req.account, "player account")->required();
  c.history->add_option("--limit", req.limit, "at most this many (1..1000, default 100)");
  c.history->add_option("--before-version", req.before_version,
                        "only changes before this account version (the next page)");
  c.history->add_option("--partner", req.partner, "only this partner's changes");
  c.audit = app.add_subcommand("audit", "show the admin ops on the audit stream (admin)");
  c.audit->add_option("--limit", req.limit, "at most this many (1..1000, default 100)");
  c.audit->add_option("--before", req.before, "only entries older than this entry id");
}

/// Adds the watch subcommand, whose options go into `wopt`.
void add_watch_command(CLI::App& app, watch_options& wopt, commands& c) {
  c.watch = app.add_subcommand(
      "watch",
      "subscribe and print balance and partner events live, one line each (without --json "
      "prefixed with [#count events-per-second])");
  c.watch->add_option("--account", wopt.accounts, "follow this account (repeatable)");
  c.watch->add_option("--partner", wopt.partners, "follow this partner's totals (repeatable)");
  c.watch->add_flag("--all", wopt.all, "follow every account and partner (admin, viewer)");
  c.watch->add_option("--count", wopt.count, "stop after this many events")
      ->check(CLI::PositiveNumber);
  c.watch->add_option("--seconds", wopt.seconds, "stop after this many seconds")
      ->check(CLI::PositiveNumber);
}

/// Prints a usage error the way CLI11 does and returns exit_usage.
int usage_error(const std::string& message) {
  std::cerr << "settlectl: " << message << "\nRun with --help for more information.\n";
  return exit_usage;
}

/// Sets req.op (and the fields only main knows) from the subcommand given; exit_usage when
/// the options do not make a request, else exit_ok.
int complete_request(const commands& c, const std::string& kind, const watch_options& wopt,
                     protocol::request& req) {
  if (c.open->parsed()) req.op = protocol::op_kind::open;
  if (c.balance->parsed()) req.op = protocol::op_kind::balance;
  if (c.partner->parsed()) req.op = protocol::op_kind::partner;
  if (c.block->parsed()) req.op = protocol::op_kind::block;
  if (c.unblock->parsed()) req.op = protocol::op_kind::unblock;
  if (c.snapshot->parsed()) req.op = protocol::op_kind::snapshot;
  if (c.history->parsed()) req.op = protocol::op_kind::history;
  if (c.audit->parsed()) req.op = protocol::op_kind::audit;
  if (c.watch->parsed()) {
    if (wopt.accounts.empty() && wopt.partners.empty() && !wopt.all)
      return usage_error("watch needs at least one --account, --partner or --all");
    req.op = protocol::op_kind::subscribe;
    req.accounts = wopt.accounts;
    req.partners = wopt.partners;
    req.all = wopt.all;
  }
  if (c.txn->parsed()) {
    req.op = protocol::op_kind::txn;
    protocol::parse(kind, req.kind);  // IsMember admits only valid kinds
    req.has_amount = c.amount->count() > 0;
    if (!req.has_amount && req.kind != protocol::txn_kind::rollback)
      return usage_error("--amount is required for a " + kind);
  }
  return exit_ok;
}

/// Checks `req` with the engine's decoder: a missing --amount or --partner, a lower-case
/// currency and the like are usage errors, reported before connecting. Why it fails, if it does.
std::optional<std::string> local_check(protocol::request req) {
  std::vector<char> frame;
  req.rid = 1;
  protocol::encode_request(req, frame);
  protocol::request decoded;
  std::string why;
  auto body = std::string_view{frame.data(), frame.size()}.substr(protocol::frame_header_bytes);
  if (protocol::decode_request(body, decoded, why) == protocol::decode_status::ok)
    return std::nullopt;
  return why;
}

/// The token given, else $SETTLE_TOKEN, else $SETTLE_ADMIN_TOKEN, else none.
std::string token_or_default(std::string token) {
  if (!token.empty())
    return token;
  if (const char* t = std::getenv("SETTLE_TOKEN"); t && *t)
    return t;
  if (const char* a = std::getenv("SETTLE_ADMIN_TOKEN"); a && *a)
    return a;
  return {};
}

/// What talk() does once connected: watch, a settlement command, or else send one request.
struct action {
  const watch_options* watch = nullptr;
  const client::settlectl::settlement_commands* settlement = nullptr;
};

/// Connects, says hello when there is a token, then does `what`; the exit status.
int talk(const std::string& connect, const std::string& token, bool json,
         const protocol::request& req, const action& what) {
  try {
    auto [host, port] = client::parse_host_port(connect);
    client::connection conn{host, port};
    if (!token.empty()) {
      auto hello = conn.hello(token);
      if (!hello.ok()) {
        print(hello, protocol::request{}, json);
        return what.settlement ? what.settlement->refused_status() : exit_refused;
      }
    }
    if (what.watch != nullptr)
      return watch(conn, *what.watch, json);
    if (what.settlement != nullptr)
      return what.settlement->run(conn, req, json);
    auto resp = conn.call(req);
    print(resp, req, json);
    return resp.ok() ? exit_ok : exit_refused;
  } catch (const std::exception& e) {
    std::cerr << "settlectl: " << e.what() << "\n";
    return exit_usage;
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"settlectl: talk to a settled engine (protocol v1)", "settlectl"};
  app.footer(
      "Amounts are integers in minor units (cents, won, ...).\n"
      "Exit status: 0 ok response, 1 error response, 2 usage or connection error.\n"
      "watch: 0 when stopped (signal, --count, --seconds), 1 subscribe refused or\n"
      "connection closed, 3 stream closed by the engine (a too-slow reader).\n"
      "reconcile: 0 every row matches, 1 something differs, 2 any error.");
  std::string connect = "127.0.0.1:7400";
  std::string token;
  bool json = false;
  app.add_option("--connect", connect, "engine address HOST:PORT")->capture_default_str();
  app.add_option("--token", token,
                 "access token, sent in a hello first (default: $SETTLE_TOKEN, else "
                 "$SETTLE_ADMIN_TOKEN; none: no hello)");
  app.add_flag("--json", json, "print the response as one JSON object with the wire's keys");
  app.require_subcommand(1, 1);
  app.fallthrough();  // global options such as --json may follow the subcommand

  protocol::request req;
  std::string kind;
  watch_options wopt;
  commands c;
  add_request_commands(app, req, kind, c);
  add_watch_command(app, wopt, c);
  client::settlectl::settlement_commands settlement{app};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and returns 0; every other parse error is a usage error.
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }
  action what;
  if (settlement.given()) {
    if (auto why = settlement.make_request(req, json))
      return usage_error(*why);
    what.settlement = &settlement;
  } else if (int status = complete_request(c, kind, wopt, req); status != exit_ok) {
    return status;
  }
  if (auto why = local_check(req))
    return usage_error(*why);
  if (what.settlement != nullptr)
    if (int status = settlement.prepare(); status != exit_ok)
      return status;
  if (c.watch->parsed())
    what.watch = &wopt;
  return talk(connect, token_or_default(token), json, req, what);
}
