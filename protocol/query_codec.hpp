// Internal to protocol/: the codec of the history and audit ops (docs/protocol.md "History and
// audit"), off the hot path like the settlement ops: encode_request and encode_response hand
// them here, and decode_response hands an answer with `changes` or `entries` to
// decode_query_answer.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "protocol/messages.hpp"

namespace settle::protocol::detail {

constexpr bool is_query_op(op_kind op) { return op == op_kind::history || op == op_kind::audit; }

/// Client side: appends the frame of `history` or `audit` request `r` under `rid`.
void encode_query_request(const request& r, uint64_t rid, std::vector<char>& out);

/// Appends the frame of the successful answer `r` to `history` or `audit`.
void encode_query_answer(const response& r, std::vector<char>& out);

/// True for a key only history and audit answers have (changes, entries).
bool is_query_answer_key(std::string_view key);

/// Client side: the answer in `body` (one msgpack map whose rid and ok were read): sets
/// out.op, out.account (history), out.changes or out.entries. False with `error` when a field
/// has the wrong type.
bool decode_query_answer(std::string_view body, response& out, std::string& error);

}  // namespace settle::protocol::detail
