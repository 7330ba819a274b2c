// The peers as wallet_targets, by name: "redis-lua" (a Lua script in Redis) and "postgres"
// (a PL/pgSQL function, one SQL transaction per transaction). Their server-side code is
// bench/peers/wallet.lua and bench/peers/ledger.sql, built into the binary.
#pragma once

#include <memory>
#include <string>

#include "bench/wallet_target.hpp"

namespace settle::bench {

/// A new connection to peer `name`; `redis` is HOST:PORT or unix:/path, `postgres` a libpq
/// connection string (durability: synchronous_commit is the server's setting unless the
/// string says `options='-c synchronous_commit=off'`). Throws std::invalid_argument for an
/// unknown name, std::runtime_error when the peer cannot be reached.
std::unique_ptr<wallet_target> make_peer_target(const std::string& name, const std::string& redis,
                                                const std::string& postgres);

}  // namespace settle::bench
