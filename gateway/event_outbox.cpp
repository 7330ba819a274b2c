#include "gateway/event_outbox.hpp"

#include "base/invariant.hpp"

namespace settle::gateway {

event_outbox::verdict event_outbox::deliver(const actors::event_delivery& d,
                                            size_t backlog_bytes, std::vector<char>& out,
                                            clock::time_point now) {
  const char* frames = d.frames->data();
  if (!conflating_) {
    size_t bytes = 0;
    for (const auto& r : d.refs)
      bytes += r.bytes;
    // Nothing unread: written whatever its size (one delivery is bounded by the publisher's
    // flush interval), so that only a client that does not read is ever conflated.
    if (backlog_bytes == 0 || backlog_bytes + bytes <= limits_.buffer_bytes) {
      // Runs of adjacent frames (a session following everything gets all of them) are
      // copied at once.
      for (size_t i = 0; i < d.refs.size();) {
        const uint32_t first = d.refs[i].offset;
        uint32_t last = first + d.refs[i].bytes;
        for (++i; i < d.refs.size() && d.refs[i].offset == last; ++i)
          last += d.refs[i].bytes;
        SETTLE_ASSERT(last <= d.frames->size(),
                      "event_outbox: an event reference points past its delivery's frames");
        out.insert(out.end(), frames + first, frames + last);
      }
      return verdict::ok;
    }
    conflating_ = true;
    behind_since_ = now;
  }
  for (const auto& r : d.refs) {
    auto [it, added] = slot_of_.try_emplace(r.key, latest_.size());
    if (added) {
      if (latest_.size() >= limits_.max_conflated)
        return verdict::too_many_conflated;
      latest_.emplace_back();
    } else {
      ++skipped_;
    }
    latest_[it->second].assign(frames + r.offset, r.bytes);
  }
  return verdict::ok;
}

void event_outbox::drained(std::vector<char>& out) {
  if (!conflating_)
    return;
  for (const auto& frame : latest_)
    out.insert(out.end(), frame.begin(), frame.end());
  latest_.clear();
  slot_of_.clear();
  conflating_ = false;
}

bool event_outbox::too_late(clock::time_point now) const {
  return conflating_ && now - behind_since_ > std::chrono::milliseconds(limits_.max_lag_ms);
}

}  // namespace settle::gateway
