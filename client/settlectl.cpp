// settlectl: command-line client of settled (open, txn, balance, partner, block, unblock,
// snapshot).
//
// Exit status: 0 for an ok response, 1 for an error response, 2 for usage or connection
// errors (including a request the engine would refuse as malformed: it is checked locally
// with the engine's own decoder before anything is sent).
#include <cstdlib>
#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "client/client.hpp"
#include "client/json_output.hpp"

using namespace settle;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_refused = 1;
constexpr int exit_usage = 2;

void print(const protocol::response& r, const protocol::request& req, bool json) {
  std::cout << (json ? client::to_json(r) : client::to_text(r, req)) << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"settlectl: talk to a settled engine (protocol v1)", "settlectl"};
  app.footer(
      "Amounts are integers in minor units (cents, won, ...).\n"
      "Exit status: 0 ok response, 1 error response, 2 usage or connection error.");
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
  auto* open = app.add_subcommand("open", "open a player account (idempotent for the same currency)");
  open->add_option("ACCOUNT", req.account, "account id")->required();
  open->add_option("CURRENCY", req.currency, "ISO 4217 code, e.g. EUR")->required();

  auto* txn = app.add_subcommand("txn", "send a transaction");
  txn->add_option("KIND", kind, "transaction kind")
      ->required()
      ->check(CLI::IsMember({"bet", "win", "rollback", "deposit", "withdraw", "transfer"}));
  txn->add_option("--id", req.id, "transaction id (idempotency key)")->required();
  txn->add_option("--account", req.account, "player account")->required();
  auto* amount =
      txn->add_option("--amount", req.amount, "amount in minor units (optional on rollback)");
  txn->add_option("--currency", req.currency, "ISO 4217 code, must be the account's")->required();
  txn->add_option("--partner", req.partner, "partner id (required for bet, win, rollback)");
  txn->add_option("--round", req.round, "game round id");
  txn->add_option("--game", req.game, "game id");
  txn->add_option("--ref", req.ref, "id of the bet a rollback cancels");
  txn->add_option("--to", req.to, "credited account of a transfer");

  auto* balance =
      app.add_subcommand("balance", "show an account (players, house:CUR, partner:P:CUR)");
  balance->add_option("ACCOUNT", req.account, "account id")->required();
  auto* partner = app.add_subcommand("partner", "show a partner's live totals per currency");
  partner->add_option("PARTNER", req.partner, "partner id")->required();
  auto* block = app.add_subcommand("block", "block an account (admin)");
  block->add_option("ACCOUNT", req.account, "account id")->required();
  auto* unblock = app.add_subcommand("unblock", "unblock an account (admin)");
  unblock->add_option("ACCOUNT", req.account, "account id")->required();
  auto* snapshot = app.add_subcommand(
      "snapshot", "write a snapshot now and trim the journal behind it (admin)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and returns 0; every other parse error is a usage error.
    return app.exit(e) == 0 ? exit_ok : exit_usage;
  }

  if (open->parsed()) req.op = protocol::op_kind::open;
  if (balance->parsed()) req.op = protocol::op_kind::balance;
  if (partner->parsed()) req.op = protocol::op_kind::partner;
  if (block->parsed()) req.op = protocol::op_kind::block;
  if (unblock->parsed()) req.op = protocol::op_kind::unblock;
  if (snapshot->parsed()) req.op = protocol::op_kind::snapshot;
  if (txn->parsed()) {
    req.op = protocol::op_kind::txn;
    protocol::parse(kind, req.kind);  // IsMember above admits only valid kinds
    req.has_amount = amount->count() > 0;
    if (!req.has_amount && req.kind != protocol::txn_kind::rollback) {
      std::cerr << "settlectl: --amount is required for a " << kind
                << "\nRun with --help for more information.\n";
      return exit_usage;
    }
  }

  // Check the request with the engine's decoder: a missing --amount or --partner, a
  // lower-case currency and the like are usage errors, reported before connecting.
  {
    std::vector<char> frame;
    req.rid = 1;
    protocol::encode_request(req, frame);
    protocol::request decoded;
    std::string why;
    auto body = std::string_view{frame.data(), frame.size()}.substr(protocol::frame_header_bytes);
    if (protocol::decode_request(body, decoded, why) != protocol::decode_status::ok) {
      std::cerr << "settlectl: " << why << "\nRun with --help for more information.\n";
      return exit_usage;
    }
    req.rid = 0;
  }

  if (token.empty()) {
    if (const char* t = std::getenv("SETTLE_TOKEN"); t && *t)
      token = t;
    else if (const char* a = std::getenv("SETTLE_ADMIN_TOKEN"); a && *a)
      token = a;
  }
  try {
    auto [host, port] = client::parse_host_port(connect);
    client::connection conn{host, port};
    if (!token.empty()) {
      auto hello = conn.hello(token);
      if (!hello.ok()) {
        print(hello, protocol::request{}, json);
        return exit_refused;
      }
    }
    auto resp = conn.call(req);
    print(resp, req, json);
    return resp.ok() ? exit_ok : exit_refused;
  } catch (const std::exception& e) {
    std::cerr << "settlectl: " << e.what() << "\n";
    return exit_usage;
  }
}
