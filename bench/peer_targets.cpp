#include "bench/peer_targets.hpp"

#include <stdexcept>

namespace settle::bench {

std::unique_ptr<wallet_target> make_peer_target(const std::string& name, const std::string&,
                                                const std::string&) {
  throw std::invalid_argument("peer '" + name + "' is not built yet");
}

}  // namespace settle::bench
