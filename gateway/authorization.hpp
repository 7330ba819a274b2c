// Who may do what: token lookup and per-role permission checks for each request.
#pragma once

#include <string>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "config/engine_config.hpp"
#include "protocol/messages.hpp"

namespace settle::gateway {

/// What a connection proved with `hello`.
struct session_identity {
  bool authenticated = false;
  protocol::role granted_role = protocol::role::viewer;
  std::string partner;  // role::partner only
  std::string name;     // config::token_name: who, in the audit stream
};

/// Token -> role table built from the configuration.
class token_table {
public:
  explicit token_table(const std::vector<config::token_entry>& tokens);
  /// The entry for `token`, or nullptr.
  const config::token_entry* find(std::string_view token) const;

private:
  absl::flat_hash_map<std::string, config::token_entry> tokens_;
};

/// Checks `req` (not hello) against `who`. Returns error_code::none when allowed, otherwise
/// unauthenticated or forbidden with `why` set.
protocol::error_code authorize(const session_identity& who, const protocol::request_view& req,
                               std::string& why);

}  // namespace settle::gateway
