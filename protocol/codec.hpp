// msgpack encoding and decoding of protocol v1 requests and responses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"
#include "protocol/settlement.hpp"  // the settlement ops' payloads

namespace settle::protocol {

/// Result of decoding one request frame body.
enum class decode_status {
  ok,           // `out` holds a well-formed request
  bad_request,  // valid msgpack map but a field is missing/mistyped/invalid; `out.rid`/`out.op` set when known
  malformed,    // not a msgpack map: the connection must be closed after the error response
};

/// Decodes one frame body (without the length prefix) into views of `body`: the primary
/// decoder, for the I/O thread. One pass over the msgpack map, no allocation unless a problem
/// is reported. On failure `error_message` names the field and the problem (only one: a
/// non-string key, else op and rid, then the op's fields in the order of docs/protocol.md), and
/// `out` holds op and rid when they were readable plus the fields read before the problem.
/// The views live as long as `body` (for a frame_reader body: until its next feed or next).
/// Validates field formats: account ids (1..64 bytes of [A-Za-z0-9._:-]), currency (3
/// uppercase ASCII letters), transaction ids (1..64 bytes), required fields per op and per txn
/// kind. The last of duplicate keys wins, nil counts as absent, unknown keys are skipped.
/// A settlement op (is_settlement_op) is checked by a second pass of its own over the body:
/// `out` then holds op, rid, partner (a topup's amount, currency and id too) and
/// settlement_body; to_request / assign decode the rest (protocol/settlement.hpp).
decode_status decode_request(std::string_view body, request_view& out,
                             std::string& error_message);

/// The same decoding into owned strings (a copy of the views, reusing `out`'s buffers).
decode_status decode_request(std::string_view body, request& out, std::string& error_message);

/// Appends one complete frame (length prefix + msgpack map) holding `resp`.
void encode_response(const response& resp, std::vector<char>& out);

/// Appends the frame of a successful txn answer: exactly what encode_response writes for a
/// txn response with these fields, without building one.
void encode_txn_result(uint64_t rid, txn_status status, int64_t balance, uint64_t version,
                       std::vector<char>& out);

/// Appends the frame of an error answer (`code` is not `none`): exactly what encode_response
/// writes for make_error(op, rid, code, message) with has_balance, balance and version set.
/// `op` is not written (error answers carry no op); it is taken for symmetry with make_error.
void encode_error(op_kind op, uint64_t rid, error_code code, std::string_view message,
                  bool has_balance, int64_t balance, uint64_t version, std::vector<char>& out);

/// Appends the frame of one event (no `rid`: the engine sends it on its own).
void encode_event(const event& e, std::vector<char>& out);

/// Client side: decodes one event frame body. False with `error_message` when the body is not
/// a well-formed event (a response, say: its first key is not `event`).
bool decode_event(std::string_view body, event& out, std::string& error_message);

/// Client side: true when a frame body is an event rather than a response.
bool is_event(std::string_view body);

/// Appends one msgpack array whose items are the maps encode_event writes (no frame length
/// prefix): the message body of the Redis event channels (docs/protocol.md).
void encode_event_array(const std::vector<event>& events, std::vector<char>& out);

/// Client side: decodes a body written by encode_event_array into `out` (cleared first). False
/// with `error_message` (naming the item) when it is not an array of well-formed events.
bool decode_event_array(std::string_view body, std::vector<event>& out,
                        std::string& error_message);

/// Client side: appends one complete frame holding `req` (only the fields its op uses; a
/// settlement op's from req.settlement, or defaults when it is null).
void encode_request(const request& req, std::vector<char>& out);
/// The same with `rid` in place of req.rid (a pipelining client tags requests without
/// copying them).
void encode_request(const request& req, uint64_t rid, std::vector<char>& out);

/// Client side: decodes one response frame body in one pass. Returns false with
/// `error_message` set when the body is not a well-formed response. Allocates only for the
/// strings and totals it fills; a reused `out` keeps its buffers. A success answer with a key
/// only settlement answers have is read a second time for its op's fields, into a new
/// out.settlement (docs/protocol.md "Clients: telling settlement answers apart").
bool decode_response(std::string_view body, response& out, std::string& error_message);

/// Field-format checks shared by the codec and the engine.
bool valid_account_id(std::string_view);
bool valid_currency(std::string_view);
bool valid_txn_id(std::string_view);
bool valid_partner_id(std::string_view);  // same alphabet as account ids, no ':' allowed

}  // namespace settle::protocol
