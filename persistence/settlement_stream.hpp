// The settlement stream in Redis (<journal prefix>settlement, e.g. settle:journal:settlement:
// one entry per settlement record, its bytes in field "b" like the journal's, so the journal's
// stream helpers read it) and the plain keys of closed periods (settle:statement:<partner>:
// <period>, settle:rows:...). Bytes only: the records' encoding is settlement_records'.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace settle::persistence {

class redis_connection;

/// Entries read per XRANGE of read_settlement_stream.
constexpr size_t settlement_page_entries = 1000;

/// XADD key * b <bytes>; returns the entry id. Throws redis_error, or std::runtime_error when
/// the answer is not an id.
std::string append_settlement(redis_connection& c, const std::string& key, std::string_view bytes);

/// Every entry's bytes, oldest first (XRANGE ... COUNT settlement_page_entries, page after
/// page); empty when the key does not exist. Throws redis_error, or std::runtime_error naming
/// the entry for one without field "b" (or with it empty: no record encodes to nothing).
std::vector<std::string> read_settlement_stream(redis_connection& c, const std::string& key);

/// SET key value. Throws redis_error.
void put_value(redis_connection& c, const std::string& key, std::string_view value);

/// GET key: its value, or nullopt when it is absent. Throws redis_error (a key of another
/// type: WRONGTYPE).
std::optional<std::string> get_value(redis_connection& c, const std::string& key);

}  // namespace settle::persistence
