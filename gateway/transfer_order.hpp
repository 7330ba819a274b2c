// Keeps one connection's pipelined requests in order per account around transfers.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "protocol/messages.hpp"

namespace settle::gateway {

/// Requests for one account all go to that account's ledger shard, whose mailbox keeps them
/// in order, so a connection may pipeline them freely. Only a transfer touches a second
/// account through another shard (its credit travels from the source's shard to the
/// target's), so a later request on either of its accounts could overtake it. This keeps
/// such requests back until the transfer is answered: a transfer joins the queue of both its
/// accounts and leaves when answered; another request joins an account's queue only when the
/// queue exists, and leaves it when sent. Everything else goes straight through.
class transfer_order {
public:
  enum class verdict {
    send,          // not ordered: send now
    send_tracked,  // a transfer first in its queues: send now, call finish() on its answer
    hold,          // behind a transfer: call hold(), it comes back from finish()
  };

  verdict admit(uint64_t seq, const protocol::request_view& r);
  void hold(uint64_t seq, protocol::request r);

  /// A held request now free to go; `tracked`: a transfer, finish() it when answered.
  struct released {
    uint64_t seq = 0;
    protocol::request req;
    bool tracked = false;
  };
  /// The transfer `seq` was answered: returns the held requests that may go now, in order.
  std::vector<released> finish(uint64_t seq);

  /// True when nothing is ordered (the common case: no transfer in flight).
  bool idle() const { return entries_.empty(); }

private:
  struct entry {
    std::vector<std::string> accounts;
    bool transfer = false;
    bool sent = false;
    protocol::request held;  // until sent
  };
  bool first_everywhere(uint64_t seq, const entry& e) const;
  /// Sends whatever became first in `account`'s queue (recursively through other queues).
  void advance(const std::string& account, std::vector<released>& out);
  void leave(uint64_t seq, const entry& e);

  absl::flat_hash_map<uint64_t, entry> entries_;
  absl::flat_hash_map<std::string, std::deque<uint64_t>> queues_;
};

}  // namespace settle::gateway
