// Field-format checks and the client's request encoder. The decoders and the response encoder
// live in request_decoder.cpp, response_decoder.cpp and response_encoder.cpp.
#include "protocol/codec.hpp"

#include <array>
#include <cstdint>

#include "protocol/msgpack_writer.hpp"
#include "protocol/query_codec.hpp"
#include "protocol/settlement_codec.hpp"

namespace settle::protocol {

namespace {

constexpr size_t max_id_bytes = 64;  // account, partner, txn id, ref, round, game

// Character classes of ids, as a table: one load per byte instead of a chain of range checks
// (every account and partner id of every request goes through here).
constexpr uint8_t partner_char = 1;  // [A-Za-z0-9._-]
constexpr uint8_t account_char = 2;  // the same and ':'

constexpr std::array<uint8_t, 256> id_chars = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c)
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-')
      t[static_cast<size_t>(c)] = partner_char | account_char;
  t[':'] = account_char;
  return t;
}();

bool valid_id(std::string_view s, uint8_t allowed) {
  if (s.empty() || s.size() > max_id_bytes)
    return false;
  for (char c : s)
    if ((id_chars[static_cast<unsigned char>(c)] & allowed) == 0)
      return false;
  return true;
}

using detail::kv;
using detail::mp_writer;

}  // namespace

bool valid_account_id(std::string_view s) { return valid_id(s, account_char); }
bool valid_partner_id(std::string_view s) { return valid_id(s, partner_char); }
bool valid_txn_id(std::string_view s) { return !s.empty() && s.size() <= max_id_bytes; }
bool valid_currency(std::string_view s) {
  return s.size() == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
         s[2] >= 'A' && s[2] <= 'Z';
}

void encode_request(const request& r, std::vector<char>& out) {
  encode_request(r, r.rid, out);
}

namespace {

/// The most bytes encode_request writes for `r`: at most 12 pairs, each a key of at most 9
/// bytes and a value header or integer of at most 9, plus the string values themselves.
inline size_t request_room(const request& r) {
  size_t room = mp_writer::max_map_header_bytes + 12 * 18 + r.token.size() +
                r.account.size() + r.currency.size() + r.partner.size() + r.id.size() +
                r.round.size() + r.game.size() + r.ref.size() + r.to.size() +
                to_string(r.kind).size() + to_string(r.op).size();
  for (const auto* list : {&r.accounts, &r.partners}) {
    room += mp_writer::max_map_header_bytes;  // the array header
    for (const auto& id : *list)
      room += mp_writer::max_map_header_bytes + id.size();
  }
  return room;
}

/// The map header and fields of a subscribe (op and rid follow).
inline void write_subscribe_fields(mp_writer& w, const request& r) {
  w.map_header(2 + !r.accounts.empty() + !r.partners.empty() + (r.all ? 1 : 0) +
               (r.alerts ? 1 : 0));
  for (auto [name, list] :
       {std::pair{"accounts", &r.accounts}, std::pair{"partners", &r.partners}}) {
    if (list->empty())
      continue;
    w.str(name);
    w.array_header(static_cast<uint32_t>(list->size()));
    for (const auto& id : *list)
      w.str(id);
  }
  if (r.all) {
    w.str("all");
    w.boolean(true);
  }
  if (r.alerts) {
    w.str("alerts");
    w.boolean(true);
  }
}

/// The map header and fields of a txn (op and rid follow): the optional ones only when set.
inline void write_txn_fields(mp_writer& w, const request& r) {
  const bool with_amount = r.has_amount || r.kind != txn_kind::rollback;
  const uint32_t n = 6 + (with_amount ? 1 : 0) + !r.partner.empty() + !r.round.empty() +
                     !r.game.empty() + !r.ref.empty() + !r.to.empty();
  w.map_header(n);
  kv(w, "kind", to_string(r.kind));
  kv(w, "id", r.id);
  kv(w, "account", r.account);
  kv(w, "currency", r.currency);
  if (with_amount) {
    w.str("amount");
    w.sint(r.amount);
  }
  if (!r.partner.empty())
    kv(w, "partner", r.partner);
  if (!r.round.empty())
    kv(w, "round", r.round);
  if (!r.game.empty())
    kv(w, "game", r.game);
  if (!r.ref.empty())
    kv(w, "ref", r.ref);
  if (!r.to.empty())
    kv(w, "to", r.to);
}

/// The map header and the fields of `r`'s op (op and rid follow: the header counts them).
inline void write_op_fields(mp_writer& w, const request& r) {
  switch (r.op) {
    case op_kind::hello:
      w.map_header(3);
      kv(w, "token", r.token);
      return;
    case op_kind::open:
      w.map_header(4);
      kv(w, "account", r.account);
      kv(w, "currency", r.currency);
      return;
    case op_kind::balance:
    case op_kind::block:
    case op_kind::unblock:
      w.map_header(3);
      kv(w, "account", r.account);
      return;
    case op_kind::partner:
      w.map_header(3);
      kv(w, "partner", r.partner);
      return;
    case op_kind::snapshot:
      w.map_header(2);
      return;
    case op_kind::subscribe:
      return write_subscribe_fields(w, r);
    case op_kind::unsubscribe:
      w.map_header(3);
      w.str("subscription");
      w.uint(r.subscription);
      return;
    case op_kind::txn:
      return write_txn_fields(w, r);
    case op_kind::contract_set:  // the settlement ops: encode_request hands them to their own
    case op_kind::contract:      // encoder, so never here
    case op_kind::period_close:
    case op_kind::statements:
    case op_kind::statement:
    case op_kind::fx_set:
    case op_kind::fx:
    case op_kind::topup:
    case op_kind::suspend:
    case op_kind::resume:
    case op_kind::reconcile:
    case op_kind::history:  // and the query ops: encode_query_request
    case op_kind::audit:
      w.map_header(2);
      return;
  }
}

}  // namespace

void encode_request(const request& r, uint64_t rid, std::vector<char>& out) {
  if (is_settlement_op(r.op))
    return detail::encode_settlement_request(r, rid, out);
  if (detail::is_query_op(r.op))
    return detail::encode_query_request(r, rid, out);
  detail::write_frame(out, request_room(r), [&](mp_writer& w) {
    write_op_fields(w, r);
    kv(w, "op", to_string(r.op));
    w.str("rid");
    w.uint(rid);
  });
}

}  // namespace settle::protocol
