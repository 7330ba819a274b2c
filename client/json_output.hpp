// Renders a protocol response as one JSON object with the wire's keys (for --json output).
#pragma once

#include <string>

#include "protocol/messages.hpp"

namespace settle::client {

/// JSON text of `r`, with the keys the wire uses for its op.
std::string to_json(const protocol::response& r);

/// Readable one-line summary of `r` for people.
std::string to_text(const protocol::response& r);

}  // namespace settle::client
