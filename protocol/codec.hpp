// msgpack encoding and decoding of protocol v1 requests and responses.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"

namespace settle::protocol {

/// Result of decoding one request frame body.
enum class decode_status {
  ok,           // `out` holds a well-formed request
  bad_request,  // valid msgpack map but a field is missing/mistyped/invalid; `out.rid`/`out.op` set when known
  malformed,    // not a msgpack map: the connection must be closed after the error response
};

/// Decodes one frame body (without the length prefix). On failure `error_message` names the
/// field and the problem. Validates field formats: account ids (1..64 bytes of
/// [A-Za-z0-9._:-]), currency (3 uppercase ASCII letters), transaction ids (1..64 bytes),
/// required fields per op and per txn kind.
decode_status decode_request(std::string_view body, request& out, std::string& error_message);

/// Appends one complete frame (length prefix + msgpack map) holding `resp`.
void encode_response(const response& resp, std::vector<char>& out);

/// Client side: appends one complete frame holding `req` (only the fields its op uses).
void encode_request(const request& req, std::vector<char>& out);

/// Client side: decodes one response frame body. Returns false with `error_message` set when
/// the body is not a well-formed response.
bool decode_response(std::string_view body, response& out, std::string& error_message);

/// Field-format checks shared by the codec and the engine.
bool valid_account_id(std::string_view);
bool valid_currency(std::string_view);
bool valid_txn_id(std::string_view);
bool valid_partner_id(std::string_view);  // same alphabet as account ids, no ':' allowed

}  // namespace settle::protocol
