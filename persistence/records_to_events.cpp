#include "persistence/records_to_events.hpp"

#include <string>

#include "persistence/journal_batch.hpp"

namespace settle::persistence {

bool event_of_record(const record_view& rec, protocol::event& out) {
  if (rec.type == record_type::txn && rec.outcome != protocol::txn_status::applied)
    return false;
  out.kind = protocol::event_kind::balance;
  out.at_unix_ms = rec.at_unix_ms;
  out.version = rec.version_after;
  out.currency.assign(rec.currency);
  out.account.assign(rec.account);
  out.balance = rec.balance_after;
  out.has_txn = true;
  out.txn.assign(rec.txn_id);
  out.amount = rec.amount;
  switch (rec.type) {
    case record_type::open:
      out.change = "open";
      break;
    case record_type::status:
      out.change = rec.status == protocol::account_status::blocked ? "block" : "unblock";
      break;
    case record_type::txn:
      out.change.assign(protocol::to_string(rec.kind));
      break;
  }
  return true;
}

bool events_of_records(std::string_view bytes, uint32_t count,
                       std::vector<protocol::event>& out) {
  std::vector<journal_record> records;
  if (!decode_records(bytes, count, records))
    return false;
  out.reserve(out.size() + records.size());
  for (const auto& r : records) {
    protocol::event e;
    if (event_of_record(view_of(r), e))
      out.push_back(std::move(e));
  }
  return true;
}

}  // namespace settle::persistence
