// Internal to protocol/: the codec of the settlement ops, off the hot path. decode_request hands
// a settlement op's body to check_settlement_request (the hot ops never reach it), assign() and
// to_request() call settlement_fields, encode_request / encode_response / decode_response
// delegate settlement requests and answers here.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"

namespace settle::protocol::detail {

/// Checks the fields of settlement op `op` in `body` (one msgpack map with string keys: the
/// caller checked that, and op and rid) in the order of docs/protocol.md, and fills out.partner
/// (and a topup's amount, currency and id) with views into `body`. Allocates nothing unless a
/// problem is reported. False with `error` = "field 'NAME': PROBLEM".
bool check_settlement_request(std::string_view body, op_kind op, request_view& out,
                              std::string& error);

/// The settlement fields of a body check_settlement_request accepted for `op`.
std::shared_ptr<const settlement_request> settlement_fields(std::string_view body, op_kind op);

/// Client side: appends the frame of settlement request `r` under `rid`.
void encode_settlement_request(const request& r, uint64_t rid, std::vector<char>& out);

/// Appends the frame of the successful answer `r` to a settlement op.
void encode_settlement_answer(const response& r, std::vector<char>& out);

/// True for a key only settlement answers have: decode_response hands such an answer to
/// decode_settlement_answer.
bool is_settlement_answer_key(std::string_view key);

/// Client side: the settlement fields of the success answer in `body` (one msgpack map whose
/// rid and ok were read): sets out.op (the op its keys imply), out.partner and
/// out.settlement, and resets the legacy fields a settlement answer shares keys with
/// (currency, kind, totals). False with `error` when a field has the wrong type.
bool decode_settlement_answer(std::string_view body, response& out, std::string& error);

/// Client-supplied text quoted for an error message: at most 32 bytes, printable ASCII only.
std::string shown(std::string_view s);

}  // namespace settle::protocol::detail
