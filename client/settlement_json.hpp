// The JSON of the partner settlement answers (docs/protocol.md "Settlement ops"), for
// settlectl --json: the wire's keys, in the wire's order. Pure.
#pragma once

#include <string>

#include "protocol/messages.hpp"

namespace settle::client {

/// Appends the fields of the successful settlement answer `r` (r.op a settlement op) after rid
/// and ok, each as `,"key":value`. A null r.settlement reads as an answer of defaults.
void append_settlement_json(const protocol::response& r, std::string& out);

}  // namespace settle::client
