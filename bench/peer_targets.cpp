#include "bench/peer_targets.hpp"

#include <stdexcept>

#include "bench/peers/postgres_target.hpp"
#include "bench/peers/redis_lua_target.hpp"

namespace settle::bench {

std::unique_ptr<wallet_target> make_peer_target(const std::string& name, const std::string& redis,
                                                const std::string& postgres) {
  if (name == "redis-lua")
    return std::make_unique<peers::redis_lua_target>(redis);
  if (name == "postgres")
    return std::make_unique<peers::postgres_target>(postgres);
  throw std::invalid_argument("unknown peer '" + name + "' (redis-lua or postgres)");
}

}  // namespace settle::bench
