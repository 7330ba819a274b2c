// The alert webhook's address: http://HOST:PORT/PATH (plain HTTP: a local relay such as
// Alertmanager or a chat bridge; TLS is that relay's business). Pure.
#pragma once

#include <cstdint>
#include <string>

namespace settle::config {

struct webhook_url {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";  // path and query
};

/// Parses `text`; false with `why` when it is not http://HOST[:PORT][/PATH].
inline bool parse_webhook_url(const std::string& text, webhook_url& out, std::string& why) {
  const std::string scheme = "http://";
  if (text.rfind(scheme, 0) != 0) {
    why = "expected http://HOST[:PORT][/PATH], got '" + text + "'";
    return false;
  }
  const auto rest = text.substr(scheme.size());
  const auto slash = rest.find('/');
  const auto authority = rest.substr(0, slash);
  out.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  out.host = authority.substr(0, colon);
  if (out.host.empty() || out.host.find_first_of(" @[]") != std::string::npos) {
    why = "no host in '" + text + "'";
    return false;
  }
  if (colon == std::string::npos) {
    out.port = 80;
    return true;
  }
  const auto port = authority.substr(colon + 1);
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoul(port) == 0 || std::stoul(port) > 65535) {
    why = "bad port in '" + text + "'";
    return false;
  }
  out.port = static_cast<uint16_t>(std::stoul(port));
  return true;
}

}  // namespace settle::config
