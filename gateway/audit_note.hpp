// The audit entry of an admin op as the session knows it: who sent it (the token's name),
// what it named, and how it was answered. The session sends it to the auditor
// (actors/audit_actor) before writing the answer, so an answered admin op is on the audit
// stream.
#pragma once

#include <string>

#include "base/wall_clock.hpp"
#include "gateway/authorization.hpp"
#include "protocol/messages.hpp"

namespace settle::gateway {

/// What an audit entry says about the request, kept until its answer comes.
struct audit_subject {
  protocol::op_kind op = protocol::op_kind::hello;
  std::string target;  // the account, else the partner ("" for snapshot)
};

inline audit_subject audit_subject_of(const protocol::request& r) {
  return {r.op, !r.account.empty() ? r.account : r.partner};
}

inline protocol::audit_entry audit_entry_for(const session_identity& who, const audit_subject& s,
                                             protocol::error_code result, std::string message) {
  protocol::audit_entry e;
  e.at_unix_ms = wall_clock_ms();
  e.who = who.name;
  e.op = std::string{protocol::to_string(s.op)};
  e.target = s.target;
  e.result = result == protocol::error_code::none ? "ok"
                                                  : std::string{protocol::to_string(result)};
  e.message = std::move(message);
  return e;
}

}  // namespace settle::gateway
