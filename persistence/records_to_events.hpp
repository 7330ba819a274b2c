// Balance events from journal records: what the Redis event channels publish for a durable
// batch (persistence/redis_event_publisher), one event per record that changed an account.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "persistence/journal.hpp"
#include "protocol/messages.hpp"

namespace settle::persistence {

/// The balance event of one record: `change` is the txn kind (bet, win, ...), `open`, `block`
/// or `unblock`; has_txn is always true (txn is empty for open and status records, amount 0).
/// False, and `out` untouched, for a note (a txn record whose outcome is noop or duplicate:
/// nothing changed).
bool event_of_record(const record_view& rec, protocol::event& out);

/// Decodes `count` records encoded back to back (a chunk's or a batch's record bytes) and
/// appends the event of each record that changed an account, in record order. False when the
/// bytes do not hold exactly `count` well-formed records (`out` is then left as it was).
bool events_of_records(std::string_view bytes, uint32_t count,
                       std::vector<protocol::event>& out);

}  // namespace settle::persistence
