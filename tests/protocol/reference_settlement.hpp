// The reference codec's settlement ops (reference_settlement.cpp): written from
// docs/protocol.md "Settlement ops" on msgpack-c objects, independently of protocol/settlement_*,
// as the oracle of the settlement equivalence tests. reference_codec.cpp calls these.
#pragma once

#include <string>
#include <string_view>

#include <msgpack.hpp>

#include "protocol/codec.hpp"
#include "protocol/settlement.hpp"

namespace settle::protocol::reference {

/// The fields of settlement op `op` in request map `map` (op and rid were read): fills
/// out.partner (topup: amount, currency, id) as far as they are good and, when all are,
/// out.settlement. "" or the problem ("field 'NAME': PROBLEM").
std::string decode_settlement_request(const msgpack::object_map& map, op_kind op, request& out);

/// True for a key only settlement answers have.
bool is_settlement_answer_key(std::string_view key);

/// A success answer with a settlement key: sets out.op, out.partner and out.settlement and
/// resets out.currency, out.totals and out.kind. False with `why` for a malformed field.
bool decode_settlement_answer(const msgpack::object_map& map, response& out, std::string& why);

}  // namespace settle::protocol::reference
