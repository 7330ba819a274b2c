// settlectl's partner settlement commands (docs/protocol.md "Settlement ops"): contract-set,
// contract, statements, statement, close, topup, suspend, resume, fx-set, fx and reconcile.
// Each sends its request after the hello, like the other commands, and prints the answer
// (settlement_output.hpp, or --json); reconcile streams a report CSV in chunks
// (reconcile_chunks.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "client/client.hpp"
#include "protocol/frame.hpp"
#include "protocol/messages.hpp"

namespace settle::client::settlectl {

// settlectl's exit statuses.
inline constexpr int exit_ok = 0;
inline constexpr int exit_refused = 1;  // an error answer
inline constexpr int exit_usage = 2;    // usage or connection errors
inline constexpr int exit_stream_closed = 3;  // watch: the engine sent `closed`
// reconcile: 0 all rows match, 1 something differs, 2 any error (the engine's answers too)
inline constexpr int exit_differs = 1;
inline constexpr int exit_failed = 2;

/// The values of the settlement subcommands' options (one set: one subcommand is given).
struct settlement_options {
  std::string partner;
  // contract-set
  std::string kind, currency, cycle, tz, cutoff, weekday, day, via;
  int64_t share_bps = 0, credit_alert = 0, max_tps = 0;
  // statements, statement, reconcile
  uint32_t limit = 0;
  uint64_t period = 0;
  bool csv = false;
  std::string report;  // reconcile: the CSV's path
  uint32_t max_frame_bytes = protocol::default_max_frame_bytes;  // reconcile: the engine's
  // topup (and currency)
  int64_t amount = 0;
  std::string id;
  // fx-set, fx
  std::string base, quote, rate;
};

class settlement_commands {
public:
  /// Adds the subcommands to `app` (which must outlive this).
  explicit settlement_commands(CLI::App& app);
  settlement_commands(const settlement_commands&) = delete;  // CLI11 holds pointers into it
  settlement_commands& operator=(const settlement_commands&) = delete;

  /// Whether one of the settlement subcommands was given.
  bool given() const;
  /// Builds the request of the subcommand given into `req` (reconcile: without rows); a usage
  /// problem when the options make none (`json`: settlectl's --json).
  std::optional<std::string> make_request(protocol::request& req, bool json) const;
  /// Before connecting: reconcile checks its whole report first, so a bad row stops it before
  /// any chunk is sent. exit_ok, or exit_failed after printing why.
  int prepare() const;
  /// On `conn` (after the hello): sends `req` (reconcile: the report's chunks), prints the
  /// answer, returns the exit status.
  int run(connection& conn, const protocol::request& req, bool json) const;
  /// The exit status of an error that stops the command (reconcile: exit_failed).
  int refused_status() const;

private:
  struct entry {
    CLI::App* command;
    protocol::op_kind op;
  };
  void add_contract_set(CLI::App& app);
  void add_reads(CLI::App& app);
  void add_changes(CLI::App& app);
  void add_fx(CLI::App& app);
  void add_reconcile(CLI::App& app);
  CLI::App* add(CLI::App& app, const char* name, protocol::op_kind op, const char* help);
  const entry* given_entry() const;
  int run_reconcile(connection& conn, const protocol::request& req, bool json) const;

  settlement_options o_;
  std::vector<entry> entries_;
  CLI::Option* credit_alert_ = nullptr;
  CLI::Option* max_tps_ = nullptr;
};

}  // namespace settle::client::settlectl
