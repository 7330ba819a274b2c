// Renders a protocol response or event as one JSON object with the wire's keys (for --json output).
#pragma once

#include <string>
#include <string_view>

#include "protocol/messages.hpp"

namespace settle::client {

/// `s` as a JSON string literal (quotes included); bytes that are not valid UTF-8 become the
/// code points of the same value, so the output is always valid JSON.
std::string json_quote(std::string_view s);

/// JSON text of `r`, with the keys the wire uses for its op.
std::string to_json(const protocol::response& r);

/// Readable one-line summary of `r` for people.
std::string to_text(const protocol::response& r);

/// Like to_text(r), naming what `req` asked for where the response alone does not say it
/// (a txn answer carries no kind, id, account or currency):
/// "applied: bet t1 on alice, balance 900 EUR (minor units), version 3".
std::string to_text(const protocol::response& r, const protocol::request& req);

/// JSON text of an event, with the wire's keys.
std::string to_json(const protocol::event& e);

/// Readable one-line summary of an event.
std::string to_text(const protocol::event& e);

}  // namespace settle::client
