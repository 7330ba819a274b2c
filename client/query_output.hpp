// settlectl's output of the history and audit answers: text for people, JSON for tools.
#pragma once

#include <string>

#include "protocol/messages.hpp"

namespace settle::client {

/// `,"account":...,"changes":[...]` or `,"entries":[...]`: what to_json appends after rid, ok.
std::string query_json_fields(const protocol::response& r);
/// One line per change or entry, newest first.
std::string query_text(const protocol::response& r);

}  // namespace settle::client
