// Readable text and CSV of the partner settlement answers (docs/protocol.md "Settlement ops"),
// for settlectl. Pure: strings in, strings out. Their JSON is in settlement_json.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"

namespace settle::client {

/// Unix milliseconds as ISO-8601 UTC: "2026-11-30T06:00:00Z", with ".mmm" before the Z when
/// the milliseconds are not 0.
std::string iso8601_utc(int64_t unix_ms);

/// Columns padded to their widest cell, two spaces apart, each line starting with `indent` and
/// ending in '\n'. Column i is right-aligned when right_aligned[i] (numbers), else left.
std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows,
                         const std::vector<bool>& right_aligned, std::string_view indent = "  ");

/// The readable text of a successful settlement answer `r` (r.op a settlement op; a null
/// r.settlement reads as an answer of defaults). `req`, when given, is the request it answers:
/// reconcile answers name no partner or period, so theirs come from it. No final '\n'.
std::string settlement_text(const protocol::response& r, const protocol::request* req = nullptr);

/// The result of a complete reconcile: the counts as a table, then the differing ids listed.
std::string reconcile_text(const protocol::reconcile_answer& a, std::string_view partner,
                           uint64_t period);

/// A statement answer as one CSV (RFC 4180, lines end in \r\n, every row 10 fields):
///  - the header `currency,bets,wins,rollbacks,bet_count,win_count,rollback_count,ggr,fx_rate,
///    ggr_settlement`;
///  - one row per currency of the totals, in currency order (amounts in that currency's minor
///    units, ggr_settlement in the settlement currency's);
///  - then summary rows `NAME,VALUE` (padded with 8 empty fields), in this order: partner,
///    period, from, to (ISO-8601 UTC, `to` exclusive), revision, settlement_currency,
///    share_bps, ggr_settlement, share, carried_in, net_payable, carried_forward, txn_count,
///    checksum, payable_to, and for a supplier one `line:PARTNER,GGR_SETTLEMENT` row per line.
/// Names are lowercase, so a summary row never reads as a currency's.
std::string statement_csv(const protocol::response& r);

/// `s` as one CSV field: quoted (quotes doubled) when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view s);

}  // namespace settle::client
