#include "bench/peers/postgres_target.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include <libpq-fe.h>

#include "bench/peers/deadline.hpp"
#include "bench/peers/embedded_sources.hpp"
#include "bench/peers/peer_answer.hpp"

namespace settle::bench::peers {

namespace {

constexpr const char* call_statement = "settle_txn";
constexpr const char* call_sql =
    "SELECT r_code, r_balance, r_version, r_has_balance, r_message "
    "FROM settle_txn($1, $2, $3, $4, $5::bigint, $6::bigint, $7, $8)";
// Accounts per setup statement: large enough that setup is a few dozen statements for a
// million accounts, small enough that one statement's arrays stay a few MB.
constexpr size_t setup_batch_accounts = 50'000;
// A call that keeps meeting a concurrent copy of its id (never more than once in practice).
constexpr int max_attempts = 10;

std::string last_error(PGconn* c) {
  std::string e = PQerrorMessage(c);
  while (!e.empty() && (e.back() == '\n' || e.back() == ' '))
    e.pop_back();
  return e;
}

/// Appends `s` as a double-quoted element of a PostgreSQL array literal.
void append_element(std::string& out, const std::string& s) {
  if (out.size() > 1)
    out += ',';
  out += '"';
  for (char ch : s) {
    if (ch == '"' || ch == '\\')
      out += '\\';
    out += ch;
  }
  out += '"';
}

/// One settle_txn row (code, balance, version, has_balance, message) as the engine's answer.
protocol::response to_response(const PGresult* r) {
  if (PQntuples(r) != 1 || PQnfields(r) != 5)
    return peer_failure("postgres: settle_txn returned no row");
  auto number = [&](int col) {
    return PQgetisnull(r, 0, col) ? int64_t{0} : std::stoll(PQgetvalue(r, 0, col));
  };
  return peer_answer(PQgetvalue(r, 0, 0), number(1), static_cast<uint64_t>(number(2)),
                     std::strcmp(PQgetvalue(r, 0, 3), "t") == 0, PQgetvalue(r, 0, 4));
}

}  // namespace

postgres_target::postgres_target(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
  if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    std::string why = conn_ != nullptr ? last_error(conn_) : "out of memory";
    PQfinish(conn_);
    throw std::runtime_error("postgres: cannot connect: " + why);
  }
  // "relation already exists, skipping" and friends from the idempotent schema: not news.
  PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

postgres_target::~postgres_target() {
  PQfinish(conn_);
}

void postgres_target::exec(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  auto status = PQresultStatus(r);
  std::string why = r != nullptr ? PQresultErrorMessage(r) : last_error(conn_);
  PQclear(r);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error("postgres: " + why);
}

void postgres_target::setup(const std::vector<account_spec>& accounts) {
  if (pipelined_)
    throw std::logic_error("postgres: setup() after the first send()");
  exec(std::string{ledger_sql});
  for (size_t start = 0; start < accounts.size(); start += setup_batch_accounts) {
    size_t end = std::min(accounts.size(), start + setup_batch_accounts);
    std::string ids = "{", currencies = "{", amounts = "{", fingerprints = "{";
    for (size_t i = start; i < end; ++i) {
      const auto& a = accounts[i];
      // The deposit the engine's setup sends, for its fingerprint (a retry must match it).
      protocol::request d;
      d.op = protocol::op_kind::txn;
      d.kind = protocol::txn_kind::deposit;
      d.id = "d" + a.id;
      d.account = a.id;
      d.currency = a.currency;
      d.amount = a.initial_balance;
      d.has_amount = true;
      append_element(ids, a.id);
      append_element(currencies, a.currency);
      append_element(amounts, std::to_string(a.initial_balance));
      append_element(fingerprints, std::to_string(request_fingerprint(d)));
    }
    for (auto* s : {&ids, &currencies, &amounts, &fingerprints})
      *s += '}';
    const char* values[] = {ids.c_str(), currencies.c_str(), amounts.c_str(),
                            fingerprints.c_str()};
    PGresult* r = PQexecParams(
        conn_, "SELECT settle_open_accounts($1::text[], $2::text[], $3::bigint[], $4::bigint[])",
        4, nullptr, values, nullptr, nullptr, 0);
    bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
    std::string why = ok ? "" : (r != nullptr ? PQresultErrorMessage(r) : last_error(conn_));
    PQclear(r);
    if (!ok)
      throw std::runtime_error("postgres: setup failed: " + why);
  }
  // Fresh statistics, so the first load's plans see a million rows, not an empty table.
  exec("ANALYZE accounts; ANALYZE transactions");
}

void postgres_target::enter_pipeline() {
  PGresult* r = PQprepare(conn_, call_statement, call_sql, 0, nullptr);
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string why = ok ? "" : (r != nullptr ? PQresultErrorMessage(r) : last_error(conn_));
  PQclear(r);
  if (!ok)
    throw std::runtime_error("postgres: cannot prepare settle_txn (did setup run?): " + why);
  // Non-blocking, so sending never waits on a server that is busy writing results to us.
  if (PQenterPipelineMode(conn_) != 1 || PQsetnonblocking(conn_, 1) != 0)
    throw std::runtime_error("postgres: cannot enter pipeline mode: " + last_error(conn_));
  pipelined_ = true;
}

void postgres_target::send_call(const call& c) {
  const auto& t = c.txn;
  auto kind = std::string{protocol::to_string(t.kind)};
  auto amount = named_amount(t);
  auto amount_text = amount ? std::to_string(*amount) : std::string{};
  auto fingerprint = std::to_string(request_fingerprint(t));
  const char* values[] = {kind.c_str(),        t.id.c_str(),
                          t.account.c_str(),   t.currency.c_str(),
                          amount ? amount_text.c_str() : nullptr,  // NULL: no amount named
                          fingerprint.c_str(), t.partner.c_str(),
                          t.ref.c_str()};
  // A sync per call: each call is its own transaction (autocommit), as a wallet's calls are;
  // syncing per flush would commit a whole batch together (a group commit the peer lacks).
  if (PQsendQueryPrepared(conn_, call_statement, 8, values, nullptr, nullptr, 0) != 1 ||
      PQpipelineSync(conn_) != 1)
    throw std::runtime_error("postgres: cannot send: " + last_error(conn_));
  unflushed_ = true;
}

void postgres_target::send(uint64_t tag, const protocol::request& txn) {
  if (!pipelined_)
    enter_pipeline();
  call c;
  c.tag = tag;
  c.txn = txn;
  send_call(c);
  in_flight_.push_back(std::move(c));
}

bool postgres_target::flush_some() {
  int r = PQflush(conn_);
  if (r < 0)
    throw std::runtime_error("postgres: write failed: " + last_error(conn_));
  unflushed_ = r == 1;
  return r == 0;
}

void postgres_target::flush() {
  if (!pipelined_)
    return;
  while (!flush_some()) {
    // The server may be waiting for us to read its results before it reads more.
    pollfd p{PQsocket(conn_), POLLIN | POLLOUT, 0};
    if (::poll(&p, 1, 1000) < 0 && errno != EINTR)
      throw std::runtime_error(std::string{"postgres: poll failed: "} + std::strerror(errno));
    if ((p.revents & POLLIN) != 0 && PQconsumeInput(conn_) != 1)
      throw std::runtime_error("postgres: connection lost: " + last_error(conn_));
  }
}

void postgres_target::take_results() {
  bool resent = false;
  int nulls_in_a_row = 0;
  while (!in_flight_.empty() && PQisBusy(conn_) == 0) {
    PGresult* r = PQgetResult(conn_);
    if (r == nullptr) {
      // The end of one query's results; a second one in a row means libpq has nothing more.
      if (++nulls_in_a_row > 1)
        break;
      continue;
    }
    nulls_in_a_row = 0;
    auto& c = in_flight_.front();
    switch (PQresultStatus(r)) {
      case PGRES_TUPLES_OK:
        c.answer = to_response(r);
        break;
      case PGRES_FATAL_ERROR: {
        const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        bool retryable = state != nullptr && (std::strcmp(state, "40001") == 0 ||
                                              std::strcmp(state, "40P01") == 0);
        if (retryable && c.attempts < max_attempts)
          c.retry = true;
        else
          c.answer = peer_failure(std::string{"postgres: "} + PQresultErrorMessage(r));
        break;
      }
      case PGRES_PIPELINE_SYNC: {
        auto done = std::move(c);
        in_flight_.pop_front();
        if (done.retry) {
          done.retry = false;
          done.answer.reset();
          ++done.attempts;
          send_call(done);
          in_flight_.push_back(std::move(done));
          resent = true;
        } else {
          auto resp = done.answer ? std::move(*done.answer)
                                  : peer_failure("postgres: no result for the call");
          resp.rid = done.tag;
          ready_.emplace_back(done.tag, std::move(resp));
        }
        break;
      }
      default:  // PGRES_PIPELINE_ABORTED cannot happen with one call per sync
        c.answer = peer_failure(std::string{"postgres: unexpected result "} +
                                PQresStatus(PQresultStatus(r)));
        break;
    }
    PQclear(r);
  }
  if (resent)
    flush_some();
}

int postgres_target::fd() const {
  return PQsocket(conn_);
}

bool postgres_target::receive(uint64_t& tag, protocol::response& out, int timeout_ms) {
  auto deadline = clock_type::now() + std::chrono::milliseconds(timeout_ms);
  for (bool waited = false;; waited = true) {
    if (pipelined_ && ready_.empty())
      take_results();
    if (!ready_.empty()) {
      tag = ready_.front().first;
      out = std::move(ready_.front().second);
      ready_.pop_front();
      return true;
    }
    int left_ms = remaining_ms(deadline);
    if (waited && left_ms == 0)
      return false;
    // Waits even with nothing in flight: returning at once would make an open-loop caller spin.
    pollfd p{PQsocket(conn_), static_cast<short>(POLLIN | (unflushed_ ? POLLOUT : 0)), 0};
    int n = ::poll(&p, 1, left_ms);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      throw std::runtime_error(std::string{"postgres: poll failed: "} + std::strerror(errno));
    if (n == 0)
      return false;
    if ((p.revents & (POLLIN | POLLERR | POLLHUP)) != 0 && PQconsumeInput(conn_) != 1)
      throw std::runtime_error("postgres: connection lost: " + last_error(conn_));
    if (unflushed_)
      flush_some();
  }
}

}  // namespace settle::bench::peers
