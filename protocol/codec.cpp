#include "protocol/codec.hpp"

#include <cstring>
#include <limits>

#include <msgpack.hpp>

#include "protocol/frame.hpp"

namespace settle::protocol {

namespace {

// -- field formats ----------------------------------------------------------------------------

bool id_char(char c, bool allow_colon) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '.' || c == '_' || c == '-' || (allow_colon && c == ':');
}

bool valid_id(std::string_view s, bool allow_colon) {
  if (s.empty() || s.size() > 64)
    return false;
  for (char c : s)
    if (!id_char(c, allow_colon))
      return false;
  return true;
}

// -- decoding ---------------------------------------------------------------------------------

/// Reads the fields of one request map, recording the first problem.
class field_reader {
public:
  explicit field_reader(const msgpack::object_map& map) : map_(map) {}

  const msgpack::object* find(std::string_view key) const {
    const msgpack::object* found = nullptr;
    for (uint32_t i = 0; i < map_.size; ++i) {
      const auto& k = map_.ptr[i].key;
      if (k.type == msgpack::type::STR && std::string_view{k.via.str.ptr, k.via.str.size} == key)
        found = &map_.ptr[i].val;  // the last of duplicate keys wins
    }
    return found;
  }

  bool fail(std::string_view key, std::string_view problem) {
    if (error_.empty())
      error_ = "field '" + std::string{key} + "': " + std::string{problem};
    return false;
  }

  /// A string field; `max_bytes` 0 means unlimited.
  bool str(std::string_view key, std::string& out, bool required, size_t max_bytes = 64) {
    const auto* v = find(key);
    if (v == nullptr || v->type == msgpack::type::NIL)
      return required ? fail(key, "missing") : true;
    if (v->type != msgpack::type::STR)
      return fail(key, "expected string");
    if (required && v->via.str.size == 0)
      return fail(key, "must not be empty");
    if (max_bytes != 0 && v->via.str.size > max_bytes)
      return fail(key, "longer than " + std::to_string(max_bytes) + " bytes");
    out.assign(v->via.str.ptr, v->via.str.size);
    return true;
  }

  bool uint(std::string_view key, uint64_t& out, bool required) {
    const auto* v = find(key);
    if (v == nullptr)
      return required ? fail(key, "missing") : true;
    if (v->type != msgpack::type::POSITIVE_INTEGER)
      return fail(key, "expected unsigned integer");
    out = v->via.u64;
    return true;
  }

  /// A signed integer field; returns whether it was present.
  bool int64(std::string_view key, int64_t& out, bool required, bool& present) {
    present = false;
    const auto* v = find(key);
    if (v == nullptr || v->type == msgpack::type::NIL)
      return required ? fail(key, "missing") : true;
    if (v->type == msgpack::type::POSITIVE_INTEGER) {
      if (v->via.u64 > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        return fail(key, "out of range");
      out = static_cast<int64_t>(v->via.u64);
    } else if (v->type == msgpack::type::NEGATIVE_INTEGER) {
      out = v->via.i64;
    } else {
      return fail(key, "expected integer");
    }
    present = true;
    return true;
  }

  bool account(std::string_view key, std::string& out, bool required) {
    if (!str(key, out, required))
      return false;
    if ((required || !out.empty()) && !valid_account_id(out))
      return fail(key, "account ids are 1..64 bytes of [A-Za-z0-9._:-]");
    return true;
  }

  bool partner(std::string_view key, std::string& out, bool required) {
    if (!str(key, out, required))
      return false;
    if ((required || !out.empty()) && !valid_partner_id(out))
      return fail(key, "partner ids are 1..64 bytes of [A-Za-z0-9._-]");
    return true;
  }

  bool currency(std::string_view key, std::string& out) {
    if (!str(key, out, true))
      return false;
    if (!valid_currency(out))
      return fail(key, "expected a 3-letter uppercase ISO 4217 code");
    return true;
  }

  const std::string& error() const { return error_; }

private:
  const msgpack::object_map& map_;
  std::string error_;
};

bool decode_txn(field_reader& f, request& r) {
  std::string kind;
  if (!f.str("kind", kind, true))
    return false;
  if (!parse(kind, r.kind))
    return f.fail("kind", "unknown kind '" + kind + "'");
  if (!f.str("id", r.id, true) || !f.account("account", r.account, true) ||
      !f.currency("currency", r.currency))
    return false;
  bool partner_kind =
      r.kind == txn_kind::bet || r.kind == txn_kind::win || r.kind == txn_kind::rollback;
  if (!f.partner("partner", r.partner, partner_kind))
    return false;
  if (!f.int64("amount", r.amount, r.kind != txn_kind::rollback, r.has_amount))
    return false;
  if (!f.str("round", r.round, false) || !f.str("game", r.game, false))
    return false;
  if (!f.str("ref", r.ref, r.kind == txn_kind::rollback))
    return false;
  if (!f.account("to", r.to, r.kind == txn_kind::transfer))
    return false;
  return true;
}

// -- encoding ---------------------------------------------------------------------------------

/// msgpack-c writes through any type with write(const char*, size_t); append to the frame.
struct vector_sink {
  std::vector<char>& out;
  void write(const char* p, size_t n) { out.insert(out.end(), p, p + n); }
};

using packer = msgpack::packer<vector_sink>;

void key(packer& pk, std::string_view k) {
  pk.pack_str(static_cast<uint32_t>(k.size()));
  pk.pack_str_body(k.data(), static_cast<uint32_t>(k.size()));
}

void kv(packer& pk, std::string_view k, std::string_view v) {
  key(pk, k);
  pk.pack_str(static_cast<uint32_t>(v.size()));
  pk.pack_str_body(v.data(), static_cast<uint32_t>(v.size()));
}

template <class Int>
void kv_int(packer& pk, std::string_view k, Int v) {
  key(pk, k);
  pk.pack(v);
}

void kv_bool(packer& pk, std::string_view k, bool v) {
  key(pk, k);
  v ? pk.pack_true() : pk.pack_false();
}

/// Reserves the length prefix, lets `body` pack, then fills the prefix in.
template <class F>
void frame(std::vector<char>& out, F&& body) {
  size_t start = out.size();
  out.resize(start + frame_header_bytes);
  vector_sink sink{out};
  packer pk{sink};
  body(pk);
  put_frame_length(out, start, static_cast<uint32_t>(out.size() - start - frame_header_bytes));
}

// -- decoding responses (client side) -------------------------------------------------------

bool get_str(const msgpack::object& o, std::string& out) {
  if (o.type != msgpack::type::STR)
    return false;
  out.assign(o.via.str.ptr, o.via.str.size);
  return true;
}

bool get_i64(const msgpack::object& o, int64_t& out) {
  if (o.type == msgpack::type::POSITIVE_INTEGER) {
    out = static_cast<int64_t>(o.via.u64);
    return true;
  }
  if (o.type == msgpack::type::NEGATIVE_INTEGER) {
    out = o.via.i64;
    return true;
  }
  return false;
}

bool get_u64(const msgpack::object& o, uint64_t& out) {
  if (o.type != msgpack::type::POSITIVE_INTEGER)
    return false;
  out = o.via.u64;
  return true;
}

bool decode_totals(const msgpack::object& o, currency_totals& t) {
  if (o.type != msgpack::type::MAP)
    return false;
  for (uint32_t i = 0; i < o.via.map.size; ++i) {
    const auto& k = o.via.map.ptr[i].key;
    const auto& v = o.via.map.ptr[i].val;
    if (k.type != msgpack::type::STR)
      return false;
    std::string_view name{k.via.str.ptr, k.via.str.size};
    bool ok = true;
    if (name == "currency")
      ok = get_str(v, t.currency);
    else if (name == "bets")
      ok = get_i64(v, t.bets);
    else if (name == "wins")
      ok = get_i64(v, t.wins);
    else if (name == "rollbacks")
      ok = get_i64(v, t.rollbacks);
    else if (name == "bet_count")
      ok = get_u64(v, t.bet_count);
    else if (name == "win_count")
      ok = get_u64(v, t.win_count);
    else if (name == "rollback_count")
      ok = get_u64(v, t.rollback_count);
    else if (name == "ggr")
      ok = get_i64(v, t.ggr);
    if (!ok)
      return false;
  }
  return true;
}

/// Unpacks exactly one msgpack object filling `body`; false (with why) otherwise.
bool unpack_one(std::string_view body, msgpack::object_handle& oh, std::string& why) {
  try {
    size_t offset = 0;
    msgpack::unpack(oh, body.data(), body.size(), offset);
    if (offset != body.size()) {
      why = "trailing bytes after the msgpack object";
      return false;
    }
  } catch (const std::exception& e) {
    why = std::string{"not valid msgpack ("} + e.what() + ")";
    return false;
  }
  return true;
}

}  // namespace

bool valid_account_id(std::string_view s) { return valid_id(s, true); }
bool valid_partner_id(std::string_view s) { return valid_id(s, false); }
bool valid_txn_id(std::string_view s) { return !s.empty() && s.size() <= 64; }
bool valid_currency(std::string_view s) {
  return s.size() == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
         s[2] >= 'A' && s[2] <= 'Z';
}

decode_status decode_request(std::string_view body, request& out, std::string& error_message) {
  out = request{};
  msgpack::object_handle oh;
  if (!unpack_one(body, oh, error_message))
    return decode_status::malformed;
  const msgpack::object& obj = oh.get();
  if (obj.type != msgpack::type::MAP) {
    error_message = "a request must be a msgpack map";
    return decode_status::malformed;
  }
  for (uint32_t i = 0; i < obj.via.map.size; ++i)
    if (obj.via.map.ptr[i].key.type != msgpack::type::STR) {
      error_message = "request map keys must be strings";
      return decode_status::bad_request;
    }
  field_reader f{obj.via.map};
  std::string op;
  bool ok = f.uint("rid", out.rid, true);
  if (ok && f.str("op", op, true) && !parse(op, out.op))
    f.fail("op", "unknown op '" + op + "'");
  if (ok && f.error().empty()) {
    switch (out.op) {
      case op_kind::hello:
        f.str("token", out.token, true, 256);
        break;
      case op_kind::open:
        f.account("account", out.account, true) && f.currency("currency", out.currency);
        break;
      case op_kind::txn:
        decode_txn(f, out);
        break;
      case op_kind::balance:
      case op_kind::block:
      case op_kind::unblock:
        f.account("account", out.account, true);
        break;
      case op_kind::partner:
        f.partner("partner", out.partner, true);
        break;
    }
  }
  if (!f.error().empty()) {
    error_message = f.error();
    return decode_status::bad_request;
  }
  return decode_status::ok;
}

void encode_response(const response& r, std::vector<char>& out) {
  frame(out, [&](packer& pk) {
    if (!r.ok()) {
      pk.pack_map(5 + (r.has_balance ? 2 : 0));
      kv_int(pk, "rid", r.rid);
      kv_bool(pk, "ok", false);
      kv(pk, "error", to_string(r.error));
      kv(pk, "message", r.message);
      kv_bool(pk, "retryable", is_retryable(r.error));
      if (r.has_balance) {
        kv_int(pk, "balance", r.balance);
        kv_int(pk, "version", r.version);
      }
      return;
    }
    switch (r.op) {
      case op_kind::hello: {
        bool bound = r.granted_role == role::partner;
        pk.pack_map(4 + (bound ? 1 : 0));
        kv_int(pk, "rid", r.rid);
        kv_bool(pk, "ok", true);
        kv(pk, "role", to_string(r.granted_role));
        if (bound)
          kv(pk, "partner", r.partner);
        kv_int(pk, "version", r.protocol_version);
        return;
      }
      case op_kind::open:
        pk.pack_map(5);
        kv_int(pk, "rid", r.rid);
        kv_bool(pk, "ok", true);
        kv(pk, "account", r.account);
        kv(pk, "currency", r.currency);
        kv(pk, "kind", to_string(r.kind));
        return;
      case op_kind::txn:
        pk.pack_map(5);
        kv_int(pk, "rid", r.rid);
        kv_bool(pk, "ok", true);
        kv(pk, "status", to_string(r.outcome));
        kv_int(pk, "balance", r.balance);
        kv_int(pk, "version", r.version);
        return;
      case op_kind::balance:
        pk.pack_map(8);
        kv_int(pk, "rid", r.rid);
        kv_bool(pk, "ok", true);
        kv(pk, "account", r.account);
        kv(pk, "currency", r.currency);
        kv(pk, "kind", to_string(r.kind));
        kv(pk, "status", to_string(r.status));
        kv_int(pk, "balance", r.balance);
        kv_int(pk, "version", r.version);
        return;
      case op_kind::block:
      case op_kind::unblock:
        pk.pack_map(5);
        kv_int(pk, "rid", r.rid);
        kv_bool(pk, "ok", true);
        kv(pk, "account", r.account);
        kv(pk, "status", to_string(r.status));
        kv_int(pk, "version", r.version);
        return;
      case op_kind::partner:
        pk.pack_map(4);
        kv_int(pk, "rid", r.rid);
        kv_bool(pk, "ok", true);
        kv(pk, "partner", r.partner);
        key(pk, "totals");
        pk.pack_array(static_cast<uint32_t>(r.totals.size()));
        for (const auto& t : r.totals) {
          pk.pack_map(8);
          kv(pk, "currency", t.currency);
          kv_int(pk, "bets", t.bets);
          kv_int(pk, "wins", t.wins);
          kv_int(pk, "rollbacks", t.rollbacks);
          kv_int(pk, "bet_count", t.bet_count);
          kv_int(pk, "win_count", t.win_count);
          kv_int(pk, "rollback_count", t.rollback_count);
          kv_int(pk, "ggr", t.ggr);
        }
        return;
    }
  });
}

void encode_request(const request& r, std::vector<char>& out) {
  frame(out, [&](packer& pk) {
    switch (r.op) {
      case op_kind::hello:
        pk.pack_map(3);
        kv(pk, "token", r.token);
        break;
      case op_kind::open:
        pk.pack_map(4);
        kv(pk, "account", r.account);
        kv(pk, "currency", r.currency);
        break;
      case op_kind::balance:
      case op_kind::block:
      case op_kind::unblock:
        pk.pack_map(3);
        kv(pk, "account", r.account);
        break;
      case op_kind::partner:
        pk.pack_map(3);
        kv(pk, "partner", r.partner);
        break;
      case op_kind::txn: {
        bool with_amount = r.has_amount || r.kind != txn_kind::rollback;
        uint32_t n = 6 + (with_amount ? 1 : 0) + !r.partner.empty() + !r.round.empty() +
                     !r.game.empty() + !r.ref.empty() + !r.to.empty();
        pk.pack_map(n);
        kv(pk, "kind", to_string(r.kind));
        kv(pk, "id", r.id);
        kv(pk, "account", r.account);
        kv(pk, "currency", r.currency);
        if (with_amount)
          kv_int(pk, "amount", r.amount);
        if (!r.partner.empty())
          kv(pk, "partner", r.partner);
        if (!r.round.empty())
          kv(pk, "round", r.round);
        if (!r.game.empty())
          kv(pk, "game", r.game);
        if (!r.ref.empty())
          kv(pk, "ref", r.ref);
        if (!r.to.empty())
          kv(pk, "to", r.to);
        break;
      }
    }
    kv(pk, "op", to_string(r.op));
    kv_int(pk, "rid", r.rid);
  });
}

bool decode_response(std::string_view body, response& out, std::string& error_message) {
  out = response{};
  msgpack::object_handle oh;
  if (!unpack_one(body, oh, error_message))
    return false;
  const auto& obj = oh.get();
  if (obj.type != msgpack::type::MAP) {
    error_message = "a response must be a msgpack map";
    return false;
  }
  bool ok_flag = false, has_ok = false, has_rid = false;
  for (uint32_t i = 0; i < obj.via.map.size; ++i) {
    const auto& k = obj.via.map.ptr[i].key;
    const auto& v = obj.via.map.ptr[i].val;
    if (k.type != msgpack::type::STR) {
      error_message = "response map keys must be strings";
      return false;
    }
    std::string_view name{k.via.str.ptr, k.via.str.size};
    std::string text;
    bool good = true;
    if (name == "rid") {
      good = get_u64(v, out.rid);
      has_rid = true;
    } else if (name == "ok") {
      good = v.type == msgpack::type::BOOLEAN;
      ok_flag = good && v.via.boolean;
      has_ok = true;
    } else if (name == "error") {
      good = get_str(v, text) && parse(text, out.error);
    } else if (name == "message") {
      good = get_str(v, out.message);
    } else if (name == "role") {
      good = get_str(v, text) && parse(text, out.granted_role);
      out.op = op_kind::hello;
    } else if (name == "partner") {
      good = get_str(v, out.partner);
    } else if (name == "account") {
      good = get_str(v, out.account);
    } else if (name == "currency") {
      good = get_str(v, out.currency);
    } else if (name == "kind") {
      good = get_str(v, text) && parse(text, out.kind);
    } else if (name == "status") {
      // txn answers carry an outcome, account answers a status: the value tells which.
      good = get_str(v, text) && (parse(text, out.outcome) || parse(text, out.status));
    } else if (name == "balance") {
      good = get_i64(v, out.balance);
      out.has_balance = true;
    } else if (name == "version") {
      uint64_t version = 0;
      good = get_u64(v, version);
      out.version = version;
      out.protocol_version = static_cast<uint32_t>(version);
    } else if (name == "totals") {
      good = v.type == msgpack::type::ARRAY;
      for (uint32_t j = 0; good && j < v.via.array.size; ++j) {
        currency_totals t;
        good = decode_totals(v.via.array.ptr[j], t);
        out.totals.push_back(std::move(t));
      }
      out.op = op_kind::partner;
    }
    if (!good) {
      error_message = "response field '" + std::string{name} + "' is malformed";
      return false;
    }
  }
  if (!has_ok || !has_rid) {
    error_message = "response lacks 'ok' or 'rid'";
    return false;
  }
  if (ok_flag != (out.error == error_code::none)) {
    error_message = ok_flag ? "response has ok=true and an error" : "response has ok=false and no error";
    return false;
  }
  return true;
}

}  // namespace settle::protocol
