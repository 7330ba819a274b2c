// The peers as wallet_targets, by name: "redis-lua" (a Lua script in Redis) and "postgres"
// (a PL/pgSQL function, one SQL transaction per transaction).
#pragma once

#include <memory>
#include <string>

#include "bench/wallet_target.hpp"

namespace settle::bench {

/// A new connection to peer `name`; `redis` is HOST:PORT or unix:/path, `postgres` a libpq
/// connection string. Throws std::invalid_argument for an unknown name.
std::unique_ptr<wallet_target> make_peer_target(const std::string& name, const std::string& redis,
                                                const std::string& postgres);

}  // namespace settle::bench
