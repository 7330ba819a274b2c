// Heterogeneous lookup in absl maps keyed by std::string: Debian's abseil has its own
// string_view type, so a std::string_view key is converted instead of copied into a string.
#pragma once

#include <string_view>

#include <absl/strings/string_view.h>

namespace settle::ledger {

/// `s` as the string_view type absl's string hash and equality take.
inline absl::string_view key(std::string_view s) {
  return absl::string_view{s.data(), s.size()};
}

}  // namespace settle::ledger
