#include "metrics/engine_metrics.hpp"

namespace settle::metrics {

std::string_view result_label(size_t i) {
  if (i < 3)
    return protocol::to_string(static_cast<protocol::txn_status>(i));
  return protocol::to_string(static_cast<protocol::error_code>(i - 2));
}

}  // namespace settle::metrics
