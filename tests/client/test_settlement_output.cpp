// What settlectl prints for the settlement answers (client/settlement_output.hpp,
// client/settlement_json.hpp): ISO-8601 times, the tables, the statement's CSV layout exactly,
// and the JSON with the wire's keys, for answers as the engine encodes and the client decodes
// them.
#define BOOST_TEST_MODULE settlement_output
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include "client/json_output.hpp"
#include "client/settlement_output.hpp"
#include "protocol/codec.hpp"
#include "protocol/frame.hpp"

namespace client = settle::client;
namespace protocol = settle::protocol;
using protocol::op_kind;

namespace {

protocol::response answer(op_kind op, const protocol::settlement_answer& a,
                          std::string partner = "acme") {
  protocol::response r;
  r.op = op;
  r.rid = 24;
  r.partner = std::move(partner);
  r.settlement = std::make_shared<const protocol::settlement_answer>(a);
  return r;
}

/// `r` as the engine encodes it and the client decodes it (op set as connection::call does).
protocol::response over_the_wire(const protocol::response& r) {
  std::vector<char> frame;
  protocol::encode_response(r, frame);
  protocol::response out;
  std::string why;
  const std::string_view body{frame.data() + protocol::frame_header_bytes,
                              frame.size() - protocol::frame_header_bytes};
  BOOST_TEST_REQUIRE(protocol::decode_response(body, out, why), why);
  out.op = r.op;
  return out;
}

/// The statement of docs/protocol.md's example (period 11 of acme).
protocol::response statement_answer(bool supplier_lines = false) {
  protocol::settlement_answer a;
  a.period = 11;
  a.from_unix_ms = 1794500000000;
  a.to_unix_ms = 1795000000000;
  a.revision = 2;
  a.currency = "EUR";
  auto& s = a.statement;
  s.share_bps = 1500;
  protocol::statement_totals eur, krw;
  eur.currency = "EUR";
  eur.bets = 150000;
  eur.wins = 30000;
  eur.bet_count = 40;
  eur.win_count = 9;
  eur.ggr = 120000;
  eur.fx_rate = "1";
  eur.ggr_settlement = 120000;
  krw.currency = "KRW";
  krw.bets = 1000000;
  krw.bet_count = 2;
  krw.ggr = 1000000;
  krw.fx_rate = "1/1450";
  krw.ggr_settlement = 68966;
  s.totals = {eur, krw};
  s.ggr_settlement = 188966;
  s.share = 28345;
  s.net_payable = 18250;
  s.txn_count = 51;
  s.checksum = "9f2c";
  s.payable_to = "acme";
  s.carried_in = -10095;
  if (supplier_lines)
    s.lines = {{"p1", 100}, {"acme", 188866}};
  return answer(op_kind::statement, a);
}

}  // namespace

BOOST_AUTO_TEST_CASE(times_are_iso_8601_utc) {
  BOOST_TEST(client::iso8601_utc(0) == "1970-01-01T00:00:00Z");
  BOOST_TEST(client::iso8601_utc(1795000000000) == "2026-11-18T11:06:40Z");
  BOOST_TEST(client::iso8601_utc(1795430000123) == "2026-11-23T10:33:20.123Z");
  BOOST_TEST(client::iso8601_utc(1795430000007) == "2026-11-23T10:33:20.007Z");
  BOOST_TEST(client::iso8601_utc(-1) == "1969-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(tables_pad_columns_and_align_numbers_right) {
  const auto t = client::format_table({"period", "currency", "net_payable"},
                                      {{"12", "EUR", "0"}, {"9", "KRW", "18250"}},
                                      {true, false, true});
  BOOST_TEST(t ==
             "  period  currency  net_payable\n"
             "      12  EUR                 0\n"
             "       9  KRW             18250\n");
  BOOST_TEST(client::format_table({}, {{"a", "1"}}, {false, false}, "") == "a  1\n");
}

BOOST_AUTO_TEST_CASE(csv_fields_are_quoted_only_when_they_must_be) {
  BOOST_TEST(client::csv_field("acme") == "acme");
  BOOST_TEST(client::csv_field("") == "");
  BOOST_TEST(client::csv_field("a,b") == "\"a,b\"");
  BOOST_TEST(client::csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  BOOST_TEST(client::csv_field("a\nb") == "\"a\nb\"");
}

BOOST_AUTO_TEST_CASE(the_statement_csv_layout) {
  const std::string pad = ",,,,,,,,\r\n";
  const std::string expected =
      "currency,bets,wins,rollbacks,bet_count,win_count,rollback_count,ggr,fx_rate,"
      "ggr_settlement\r\n"
      "EUR,150000,30000,0,40,9,0,120000,1,120000\r\n"
      "KRW,1000000,0,0,2,0,0,1000000,1/1450,68966\r\n"
      "partner,acme" + pad +
      "period,11" + pad +
      "from,2026-11-12T16:13:20Z" + pad +
      "to,2026-11-18T11:06:40Z" + pad +
      "revision,2" + pad +
      "settlement_currency,EUR" + pad +
      "share_bps,1500" + pad +
      "ggr_settlement,188966" + pad +
      "share,28345" + pad +
      "carried_in,-10095" + pad +
      "net_payable,18250" + pad +
      "carried_forward,0" + pad +
      "txn_count,51" + pad +
      "checksum,9f2c" + pad +
      "payable_to,acme" + pad;
  BOOST_TEST(client::statement_csv(over_the_wire(statement_answer())) == expected);
  const auto with_lines = client::statement_csv(over_the_wire(statement_answer(true)));
  BOOST_TEST(with_lines == expected + "line:p1,100" + pad + "line:acme,188866" + pad);
}

BOOST_AUTO_TEST_CASE(the_statement_text_has_every_part) {
  const auto text = client::settlement_text(over_the_wire(statement_answer(true)));
  for (const char* part :
       {"statement of acme, period 11 (contract revision 2)", "from        2026-11-12T16:13:20Z",
        "to          2026-11-18T11:06:40Z (exclusive)", "payable_to  acme",
        "  currency     bets   wins  rollbacks", "  KRW       1000000      0",
        "1/1450           68966", "supplier lines:", "  p1                  100",
        "share_bps        1500 (15.00%)", "carried_in       -10095", "net_payable      18250",
        "carried_forward  0", "txn_count        51", "checksum         9f2c"})
    BOOST_TEST(text.find(part) != std::string::npos, "no '" << part << "' in\n" << text);
}

BOOST_AUTO_TEST_CASE(the_statement_json_has_the_wire_keys_in_order) {
  BOOST_TEST(
      client::to_json(over_the_wire(statement_answer(true))) ==
      "{\"rid\":24,\"ok\":true,\"partner\":\"acme\",\"period\":11,\"from\":1794500000000,"
      "\"to\":1795000000000,\"revision\":2,\"currency\":\"EUR\",\"share_bps\":1500,\"totals\":["
      "{\"currency\":\"EUR\",\"bets\":150000,\"wins\":30000,\"rollbacks\":0,\"bet_count\":40,"
      "\"win_count\":9,\"rollback_count\":0,\"ggr\":120000,\"fx_rate\":\"1\","
      "\"ggr_settlement\":120000},"
      "{\"currency\":\"KRW\",\"bets\":1000000,\"wins\":0,\"rollbacks\":0,\"bet_count\":2,"
      "\"win_count\":0,\"rollback_count\":0,\"ggr\":1000000,\"fx_rate\":\"1/1450\","
      "\"ggr_settlement\":68966}],"
      "\"ggr_settlement\":188966,\"share\":28345,\"net_payable\":18250,\"txn_count\":51,"
      "\"checksum\":\"9f2c\",\"payable_to\":\"acme\",\"lines\":[{\"partner\":\"p1\","
      "\"ggr_settlement\":100},{\"partner\":\"acme\",\"ggr_settlement\":188866}],"
      "\"carried_in\":-10095,\"carried_forward\":0}");
}

BOOST_AUTO_TEST_CASE(the_contract_as_text_and_json) {
  protocol::settlement_answer a;
  a.revision = 3;
  a.contract.kind = "supplier";
  a.contract.currency = "EUR";
  a.contract.cycle = "monthly";
  a.contract.day = "last";
  a.contract.share_bps = 1500;
  a.contract.credit_alert = 100000;
  a.has_credit_remaining = true;
  a.credit_remaining = 5250000;
  a.period = 7;
  a.from_unix_ms = 1764633600000;  // 2025-12-02T00:00:00Z
  a.live.push_back({"EUR", 125000, 80000, 5000, 40, 12, 1, 40000});
  const auto r = over_the_wire(answer(op_kind::contract, a, "bigsupplier"));
  const auto text = client::settlement_text(r);
  for (const char* part :
       {"contract of bigsupplier, revision 3", "kind              supplier", "day               last",
        "tz                UTC (default)", "cutoff            00:00 (default)",
        "share_bps         1500 (15.00%)", "credit_alert      100000", "max_tps           - (no limit)",
        "credit_remaining  5250000 EUR (minor units)", "suspended         no",
        "open period 7 since 2025-12-02T00:00:00Z (live totals, minor units):",
        "currency    bets   wins  rollbacks  bet_count  win_count  rollback_count    ggr",
        "EUR       125000  80000       5000         40         12               1  40000"})
    BOOST_TEST(text.find(part) != std::string::npos, "no '" << part << "' in\n" << text);
  BOOST_TEST(client::to_json(r) ==
             "{\"rid\":24,\"ok\":true,\"partner\":\"bigsupplier\",\"revision\":3,\"kind\":"
             "\"supplier\",\"currency\":\"EUR\",\"cycle\":\"monthly\",\"day\":\"last\","
             "\"share_bps\":1500,\"credit_alert\":100000,\"credit_remaining\":5250000,"
             "\"period\":7,\"from\":1764633600000,\"live\":[{\"currency\":\"EUR\",\"bets\":125000,"
             "\"wins\":80000,\"rollbacks\":5000,\"bet_count\":40,\"win_count\":12,"
             "\"rollback_count\":1,\"ggr\":40000}],\"suspended\":false}");
  a.live.clear();
  a.suspended = true;
  const auto empty = client::settlement_text(over_the_wire(answer(op_kind::contract, a)));
  BOOST_TEST(empty.find("suspended         yes (bets refused)") != std::string::npos, empty);
  BOOST_TEST(empty.find("(no transactions yet)") != std::string::npos, empty);
  a.contract.day = "15";  // an integer on the wire and in JSON
  a.has_credit_remaining = false;
  BOOST_TEST(client::to_json(over_the_wire(answer(op_kind::contract, a))).find(",\"day\":15,") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(statements_close_fx_topup_and_suspend) {
  protocol::settlement_answer a;
  a.statements = {{12, 1795000000000, 1795430000123, "EUR", 0},
                  {11, 1794500000000, 1795000000000, "EUR", 18250}};
  const auto list = over_the_wire(answer(op_kind::statements, a));
  BOOST_TEST(client::settlement_text(list) ==
             "statements of acme, newest first (2; net_payable in minor units)\n"
             "  period  from                  to                        currency  net_payable\n"
             "      12  2026-11-18T11:06:40Z  2026-11-23T10:33:20.123Z  EUR                 0\n"
             "      11  2026-11-12T16:13:20Z  2026-11-18T11:06:40Z      EUR             18250");
  BOOST_TEST(client::to_json(list) ==
             "{\"rid\":24,\"ok\":true,\"partner\":\"acme\",\"statements\":[{\"period\":12,"
             "\"from\":1795000000000,\"to\":1795430000123,\"currency\":\"EUR\",\"net_payable\":0},"
             "{\"period\":11,\"from\":1794500000000,\"to\":1795000000000,\"currency\":\"EUR\","
             "\"net_payable\":18250}]}");
  BOOST_TEST(client::settlement_text(answer(op_kind::statements, {})) ==
             "no closed periods for acme");

  protocol::settlement_answer close;
  close.period = 12;
  close.from_unix_ms = 1795000000000;
  close.to_unix_ms = 1795430000123;
  const auto closed = over_the_wire(answer(op_kind::period_close, close));
  BOOST_TEST(client::settlement_text(closed) ==
             "closed period 12 of acme: from 2026-11-18T11:06:40Z to 2026-11-23T10:33:20.123Z "
             "(exclusive)");
  BOOST_TEST(client::to_json(closed) == "{\"rid\":24,\"ok\":true,\"partner\":\"acme\",\"period\":12,"
                                        "\"from\":1795000000000,\"to\":1795430000123}");

  protocol::settlement_answer fx;
  fx.fx = {"USD", "KRW", "1382.50", 1795430000123};
  const auto rate = over_the_wire(answer(op_kind::fx, fx, ""));
  BOOST_TEST(client::settlement_text(rate) ==
             "USD/KRW = 1382.50 (KRW per 1 USD), set at 2026-11-23T10:33:20.123Z");
  BOOST_TEST(client::to_json(rate) == "{\"rid\":24,\"ok\":true,\"base\":\"USD\",\"quote\":\"KRW\","
                                      "\"rate\":\"1382.50\",\"at\":1795430000123}");

  protocol::settlement_answer credit;
  credit.credit_remaining = 5250000;
  credit.currency = "EUR";
  const auto topup = over_the_wire(answer(op_kind::topup, credit, "bigsupplier"));
  BOOST_TEST(client::settlement_text(topup) == "credit of bigsupplier: 5250000 EUR (minor units)");
  BOOST_TEST(client::to_json(topup) == "{\"rid\":24,\"ok\":true,\"partner\":\"bigsupplier\","
                                       "\"credit_remaining\":5250000,\"currency\":\"EUR\"}");

  protocol::settlement_answer s;
  s.suspended = true;
  const auto suspended = over_the_wire(answer(op_kind::suspend, s));
  BOOST_TEST(client::settlement_text(suspended) == "partner acme is suspended");
  BOOST_TEST(client::to_json(suspended) ==
             "{\"rid\":24,\"ok\":true,\"partner\":\"acme\",\"suspended\":true}");
  BOOST_TEST(client::settlement_text(over_the_wire(answer(op_kind::resume, {}))) ==
             "partner acme is active");
}

BOOST_AUTO_TEST_CASE(reconcile_results_list_the_counts_and_the_ids) {
  protocol::settlement_answer a;
  auto& c = a.reconcile;
  c.complete = true;
  c.reconcile_id = "run-1";
  c.rows_received = 20001;
  c.matched = 19990;
  c.missing_in_report = {"tx-990"};
  c.missing_in_report_count = 1;
  c.mismatched = {"tx-1", "tx-2"};
  c.mismatched_count = 2500;  // more than listed
  const auto r = over_the_wire(answer(op_kind::reconcile, a, ""));
  protocol::request req;
  req.op = op_kind::reconcile;
  req.partner = "acme";
  auto s = std::make_shared<protocol::settlement_request>();
  s->period = 11;
  req.settlement = s;
  BOOST_TEST(client::to_text(r, req) ==
             "reconcile of acme, period 11: 20001 report rows\n"
             "  result               count\n"
             "  matched              19990\n"
             "  missing_in_engine        0\n"
             "  missing_in_report        1\n"
             "  mismatched            2500\n"
             "  duplicate_in_report      0\n"
             "missing_in_report (1):\n"
             "  tx-990\n"
             "mismatched (2500, the first 2 listed):\n"
             "  tx-1\n"
             "  tx-2");
  BOOST_TEST(client::to_json(r) ==
             "{\"rid\":24,\"ok\":true,\"reconcile_id\":\"run-1\",\"rows_received\":20001,"
             "\"matched\":19990,\"missing_in_engine\":[],\"missing_in_report\":[\"tx-990\"],"
             "\"mismatched\":[\"tx-1\",\"tx-2\"],\"duplicate_in_report\":[],"
             "\"missing_in_engine_count\":0,\"missing_in_report_count\":1,"
             "\"mismatched_count\":2500,\"duplicate_in_report_count\":0}");
  protocol::settlement_answer chunk;
  chunk.reconcile.reconcile_id = "run-1";
  chunk.reconcile.rows_received = 10000;
  const auto taken = over_the_wire(answer(op_kind::reconcile, chunk, ""));
  BOOST_TEST(client::to_json(taken) ==
             "{\"rid\":24,\"ok\":true,\"reconcile_id\":\"run-1\",\"rows_received\":10000}");
  BOOST_TEST(client::settlement_text(taken) == "reconcile run-1: 10000 rows received so far");
}

BOOST_AUTO_TEST_CASE(errors_print_as_before) {
  auto r = protocol::make_error(op_kind::statement, 3, protocol::error_code::unknown_period,
                                "period 99 is not closed");
  BOOST_TEST(client::to_text(r) == "error unknown_period: period 99 is not closed");
  BOOST_TEST(client::to_json(r) ==
             "{\"rid\":3,\"ok\":false,\"error\":\"unknown_period\",\"message\":\"period 99 is not "
             "closed\",\"retryable\":false}");
}
