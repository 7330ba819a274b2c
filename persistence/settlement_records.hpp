// The durable encoding of partner settlement's records (ledger/settlement_book.hpp), as the
// settlement stream and the statement keys (settle:statement:<partner>:<period>) hold them.
//
// Format 1: one msgpack array, the format number first so the format can grow, then a tag:
//   contract    [1, 1, revision, at_unix_ms, partner, kind, currency, cycle,
//                tz, cutoff, weekday, day, via, share_bps, credit_alert, max_tps]
//               (tz .. max_tps: nil when absent)
//   fx          [1, 2, base, quote, digits, scale, at_unix_ms]   rate = digits / 10^scale
//   topup       [1, 3, partner, id, amount, at_unix_ms]
//   suspension  [1, 4, partner, suspended]
//   close       [1, 5, partner, period, from_unix_ms, to_unix_ms, revision,
//                settlement_currency, share_bps, via, carried_in, [currency...], [line...],
//                ggr_settlement, share, net_payable, carried_forward, txn_count, checksum,
//                payable_to]
//     currency  [code, bets, wins, rollbacks, bet_count, win_count, rollback_count, ggr,
//                rate_numerator, rate_denominator, rate_set_at_unix_ms, rate_inverted,
//                ggr_settlement]
//     line      [partner, ggr_settlement]
// Currencies are their 3-letter codes ("EUR"), so tools reading Redis directly can read them.
// Integers keep their full width (int64 and uint64 extremes round-trip).
#pragma once

#include <string>
#include <string_view>

#include "ledger/settlement_book.hpp"

namespace settle::persistence {

/// The record's bytes. Checked right before it is written: throws std::invalid_argument
/// naming the field for a currency that is not 3 uppercase letters or a rate that is not one
/// the ledger builds (a zero, an unreduced fraction, a decimal out of range), so a record
/// the decoder would refuse is never journaled.
std::string encode_settlement_record(const ledger::settlement_record& r);

/// The record, or std::runtime_error saying what is wrong (truncated, not msgpack, unknown
/// format or tag, too few or too many fields, a field of the wrong type or width, a bad
/// currency or rate); never undefined behaviour on arbitrary bytes.
ledger::settlement_record decode_settlement_record(std::string_view bytes);

}  // namespace settle::persistence
