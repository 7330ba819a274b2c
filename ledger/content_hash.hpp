// The hash that seals stored bytes: journal batches (checksum and chain link) and snapshot
// chunks (checksum).
#pragma once

#include <cstdint>
#include <string_view>

namespace settle::ledger {

/// XXH3-64 of `bytes` (Debian's libxxhash): the same in every process and run, as a stored
/// checksum must be, and an order of magnitude faster than a byte-at-a-time hash over the
/// hundreds of megabytes a recovery reads.
uint64_t content_hash(std::string_view bytes);

}  // namespace settle::ledger
