// settlectl: command-line client of settled (open, txn, balance, partner, block, unblock).
#include <cstdlib>
#include <iostream>

#include <CLI/CLI.hpp>

#include "client/client.hpp"
#include "client/json_output.hpp"

using namespace settle;

int main(int argc, char** argv) {
  CLI::App app{"settlectl: talk to a settled engine (protocol v1)", "settlectl"};
  std::string connect = "127.0.0.1:7400";
  std::string token;
  bool json = false;
  app.add_option("--connect", connect, "engine address HOST:PORT (default 127.0.0.1:7400)");
  app.add_option("--token", token, "access token (default: $SETTLE_TOKEN, else $SETTLE_ADMIN_TOKEN)");
  app.add_flag("--json", json, "print the raw response as JSON");
  app.require_subcommand(1);
  app.fallthrough();  // global flags such as --json may follow the subcommand

  protocol::request req;
  std::string kind;
  auto* open = app.add_subcommand("open", "open a player account");
  open->add_option("ACCOUNT", req.account, "account id")->required();
  open->add_option("CURRENCY", req.currency, "ISO 4217 code, e.g. EUR")->required();

  auto* txn = app.add_subcommand("txn", "send a transaction");
  txn->add_option("KIND", kind, "bet, win, rollback, deposit, withdraw or transfer")->required();
  txn->add_option("--id", req.id, "transaction id (idempotency key)")->required();
  txn->add_option("--account", req.account, "player account")->required();
  auto* amount = txn->add_option("--amount", req.amount, "amount in minor units");
  txn->add_option("--currency", req.currency, "ISO 4217 code")->required();
  txn->add_option("--partner", req.partner, "partner id (bet, win, rollback)");
  txn->add_option("--round", req.round, "game round id");
  txn->add_option("--game", req.game, "game id");
  txn->add_option("--ref", req.ref, "the bet a rollback cancels");
  txn->add_option("--to", req.to, "target account of a transfer");

  auto* balance = app.add_subcommand("balance", "show an account (players, house:CUR, partner:P:CUR)");
  balance->add_option("ACCOUNT", req.account, "account id")->required();
  auto* partner = app.add_subcommand("partner", "show a partner's live totals");
  partner->add_option("PARTNER", req.partner, "partner id")->required();
  auto* block = app.add_subcommand("block", "block an account (admin)");
  block->add_option("ACCOUNT", req.account, "account id")->required();
  auto* unblock = app.add_subcommand("unblock", "unblock an account (admin)");
  unblock->add_option("ACCOUNT", req.account, "account id")->required();

  CLI11_PARSE(app, argc, argv);

  if (open->parsed()) req.op = protocol::op_kind::open;
  if (balance->parsed()) req.op = protocol::op_kind::balance;
  if (partner->parsed()) req.op = protocol::op_kind::partner;
  if (block->parsed()) req.op = protocol::op_kind::block;
  if (unblock->parsed()) req.op = protocol::op_kind::unblock;
  if (txn->parsed()) {
    req.op = protocol::op_kind::txn;
    if (!protocol::parse(kind, req.kind)) {
      std::cerr << "settlectl: unknown kind '" << kind << "'\n";
      return 2;
    }
    req.has_amount = amount->count() > 0;
  }
  if (token.empty()) {
    if (const char* t = std::getenv("SETTLE_TOKEN"))
      token = t;
    else if (const char* a = std::getenv("SETTLE_ADMIN_TOKEN"))
      token = a;
  }
  try {
    auto [host, port] = client::parse_host_port(connect);
    client::connection conn{host, port};
    if (!token.empty()) {
      auto hello = conn.hello(token);
      if (!hello.ok()) {
        std::cout << (json ? client::to_json(hello) : client::to_text(hello)) << "\n";
        return 1;
      }
    }
    auto resp = conn.call(req);
    std::cout << (json ? client::to_json(resp) : client::to_text(resp)) << "\n";
    return resp.ok() ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "settlectl: " << e.what() << "\n";
    return 2;
  }
}
