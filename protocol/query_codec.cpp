#include "protocol/query_codec.hpp"

#include <msgpack.hpp>

#include "protocol/msgpack_object.hpp"
#include "protocol/msgpack_writer.hpp"

namespace settle::protocol::detail {

namespace {

// A bound on one pair's bytes besides its strings: a key of at most 16 bytes with its header,
// and a value header or integer of at most 9.
constexpr size_t pair_bytes = 17 + 9;

size_t change_room(const history_entry& c) {
  return mp_writer::max_map_header_bytes + 11 * pair_bytes + c.txn.size() + c.partner.size() +
         c.round.size() + c.game.size() + c.ref.size() + c.to.size();
}

size_t entry_room(const audit_entry& e) {
  return mp_writer::max_map_header_bytes + 7 * pair_bytes + e.id.size() + e.who.size() +
         e.op.size() + e.target.size() + e.result.size() + e.message.size();
}

/// Optional strings are left out when empty.
template <class W>
void kv_opt(W& w, std::string_view k, std::string_view v) {
  if (!v.empty())
    kv(w, k, v);
}

template <class W>
void write_change(W& w, const history_entry& c) {
  const uint32_t pairs = 6 + !c.partner.empty() + !c.round.empty() + !c.game.empty() +
                         !c.ref.empty() + !c.to.empty();
  w.map_header(pairs);
  kv(w, "txn", c.txn);
  kv(w, "kind", to_string(c.kind));
  kv_int(w, "amount", c.amount);
  kv_int(w, "balance", c.balance);
  kv_uint(w, "version", c.version);
  kv_int(w, "at", c.at_unix_ms);
  kv_opt(w, "partner", c.partner);
  kv_opt(w, "round", c.round);
  kv_opt(w, "game", c.game);
  kv_opt(w, "ref", c.ref);
  kv_opt(w, "to", c.to);
}

template <class W>
void write_entry(W& w, const audit_entry& e) {
  w.map_header(5 + !e.target.empty() + !e.message.empty());
  kv(w, "id", e.id);
  kv_int(w, "at", e.at_unix_ms);
  kv(w, "who", e.who);
  kv(w, "op", e.op);
  kv(w, "result", e.result);
  kv_opt(w, "target", e.target);
  kv_opt(w, "message", e.message);
}

}  // namespace

void encode_query_request(const request& r, uint64_t rid, std::vector<char>& out) {
  const size_t room = mp_writer::max_map_header_bytes + 7 * pair_bytes + r.account.size() +
                      r.partner.size() + r.before.size() + 16;
  write_frame(out, room, [&](mp_writer& w) {
    const bool history = r.op == op_kind::history;
    const uint32_t pairs = 2 + (r.limit != 0) +
                           (history ? 1 + (r.before_version != 0) + !r.partner.empty()
                                    : !r.before.empty());
    w.map_header(pairs);
    kv(w, "op", to_string(r.op));
    kv_uint(w, "rid", rid);
    if (r.limit != 0)
      kv_uint(w, "limit", r.limit);
    if (history) {
      kv(w, "account", r.account);
      if (r.before_version != 0)
        kv_uint(w, "before_version", r.before_version);
      kv_opt(w, "partner", r.partner);
    } else {
      kv_opt(w, "before", r.before);
    }
  });
}

void encode_query_answer(const response& r, std::vector<char>& out) {
  const bool history = r.op == op_kind::history;
  size_t room = mp_writer::max_map_header_bytes + 4 * pair_bytes + r.account.size();
  for (const auto& c : r.changes)
    room += change_room(c);
  for (const auto& e : r.entries)
    room += entry_room(e);
  write_frame(out, room, [&](mp_writer& w) {
    w.map_header(history ? 4 : 3);
    kv_uint(w, "rid", r.rid);
    kv_bool(w, "ok", true);
    if (history) {
      kv(w, "account", r.account);
      w.str("changes");
      w.array_header(static_cast<uint32_t>(r.changes.size()));
      for (const auto& c : r.changes)
        write_change(w, c);
    } else {
      w.str("entries");
      w.array_header(static_cast<uint32_t>(r.entries.size()));
      for (const auto& e : r.entries)
        write_entry(w, e);
    }
  });
}

bool is_query_answer_key(std::string_view key) { return key == "changes" || key == "entries"; }

namespace {

template <class T>
bool get(const msgpack::object& o, T& out) {
  return object_get(o, out);
}

/// The fields of one change map; unknown keys are ignored.
bool read_change(const msgpack::object& o, history_entry& c, std::string& why) {
  if (o.type != msgpack::type::MAP)
    return (why = "a change is not a map"), false;
  for (const auto& kv : o.via.map) {
    std::string k, kind;
    if (!get(kv.key, k))
      return (why = "a change has a non-string key"), false;
    bool ok = true;
    if (k == "txn") ok = get(kv.val, c.txn);
    else if (k == "kind") ok = get(kv.val, kind) && parse(kind, c.kind);
    else if (k == "amount") ok = get(kv.val, c.amount);
    else if (k == "balance") ok = get(kv.val, c.balance);
    else if (k == "version") ok = get(kv.val, c.version);
    else if (k == "at") ok = get(kv.val, c.at_unix_ms);
    else if (k == "partner") ok = get(kv.val, c.partner);
    else if (k == "round") ok = get(kv.val, c.round);
    else if (k == "game") ok = get(kv.val, c.game);
    else if (k == "ref") ok = get(kv.val, c.ref);
    else if (k == "to") ok = get(kv.val, c.to);
    if (!ok)
      return (why = "field 'changes': bad '" + k + "'"), false;
  }
  return true;
}

bool read_entry(const msgpack::object& o, audit_entry& e, std::string& why) {
  if (o.type != msgpack::type::MAP)
    return (why = "an audit entry is not a map"), false;
  for (const auto& kv : o.via.map) {
    std::string k;
    if (!get(kv.key, k))
      return (why = "an audit entry has a non-string key"), false;
    bool ok = true;
    if (k == "id") ok = get(kv.val, e.id);
    else if (k == "at") ok = get(kv.val, e.at_unix_ms);
    else if (k == "who") ok = get(kv.val, e.who);
    else if (k == "op") ok = get(kv.val, e.op);
    else if (k == "target") ok = get(kv.val, e.target);
    else if (k == "result") ok = get(kv.val, e.result);
    else if (k == "message") ok = get(kv.val, e.message);
    if (!ok)
      return (why = "field 'entries': bad '" + k + "'"), false;
  }
  return true;
}

}  // namespace

bool decode_query_answer(std::string_view body, response& out, std::string& why) {
  msgpack::object_handle oh;
  try {
    oh = msgpack::unpack(body.data(), body.size());
  } catch (const std::exception& e) {
    return (why = e.what()), false;
  }
  const auto& top = oh.get();
  out.changes.clear();
  out.entries.clear();
  for (const auto& kv : top.via.map) {  // a map: the caller read it
    std::string k;
    if (!get(kv.key, k))
      continue;
    if (k == "changes" || k == "entries") {
      if (kv.val.type != msgpack::type::ARRAY)
        return (why = "field '" + k + "': expected array"), false;
      out.op = k == "changes" ? op_kind::history : op_kind::audit;
      for (const auto& item : kv.val.via.array) {
        if (k == "changes" ? !read_change(item, out.changes.emplace_back(), why)
                           : !read_entry(item, out.entries.emplace_back(), why))
          return false;
      }
    }
  }
  return true;
}

}  // namespace settle::protocol::detail
