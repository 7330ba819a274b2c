#include "ledger/settlement_book.hpp"

#include <algorithm>

#include "base/invariant.hpp"
#include "ledger/money.hpp"
#include "protocol/codec.hpp"

namespace settle::ledger {

namespace {

using protocol::error_code;

settlement_verdict refusal(error_code code, std::string message) {
  settlement_verdict v;
  v.error = code;
  v.message = std::move(message);
  return v;
}

settlement_verdict record(settlement_record r) {
  settlement_verdict v;
  v.record = std::move(r);
  return v;
}

std::string quoted(std::string_view s) {
  return "'" + std::string{s.substr(0, 64)} + "'";
}

std::string no_contract(std::string_view partner) {
  return "partner " + quoted(partner) + " has no contract";
}

}  // namespace

const partner_settlement* settlement_book::partner(std::string_view id) const {
  auto it = partners_.find(id);
  return it == partners_.end() ? nullptr : &it->second;
}

// -- decide ---------------------------------------------------------------------------------

settlement_verdict settlement_book::decide_contract(const contract_fields& fields,
                                                    int64_t at_unix_ms) const {
  auto checked = check_contract(fields, [this](std::string_view id) -> const contract* {
    const auto* p = partner(id);
    return p != nullptr && p->schedule ? &p->schedule->newest() : nullptr;
  });
  if (!checked.accepted)
    return refusal(checked.error, std::move(checked.message));
  const auto* p = partner(fields.partner);
  if (p != nullptr && p->schedule && p->schedule->newest().kind == partner_kind::supplier &&
      checked.accepted->kind != partner_kind::supplier && !providers_via(fields.partner).empty())
    return refusal(error_code::bad_request,
                   "field 'kind': providers settle through " + quoted(fields.partner) +
                       "; it stays a supplier until they move");
  contract_record r;
  r.fields = contract_fields_owned::of(fields);
  r.revision = p != nullptr && p->schedule ? p->schedule->newest().revision + 1 : 1;
  r.at_unix_ms = at_unix_ms;
  return record(std::move(r));
}

settlement_verdict settlement_book::decide_fx(std::string_view base, std::string_view quote,
                                              std::string_view rate,
                                              int64_t at_unix_ms) const {
  for (auto [field, code] : {std::pair{"base", base}, std::pair{"quote", quote}})
    if (code.size() != 3 || !minor_exponent(code))
      return refusal(error_code::bad_request, std::string{"field '"} + field + "': " +
                                                  quoted(code) + " is not an ISO 4217 currency");
  if (base == quote)
    return refusal(error_code::bad_request, "field 'quote': the same currency as 'base'");
  std::string why;
  auto parsed = parse_rate(rate, why);
  if (!parsed)
    return refusal(error_code::bad_request, "field 'rate': " + why);
  fx_record r{pack_currency(base), pack_currency(quote), *parsed, at_unix_ms};
  if (auto newest = fx_.newest(r.base, r.quote, INT64_MAX);
      newest && newest->set_at_unix_ms > at_unix_ms)
    return refusal(error_code::bad_request, "a newer rate of this pair is already set");
  return record(r);
}

settlement_verdict settlement_book::decide_topup(std::string_view partner_id,
                                                 std::string_view id, int64_t amount,
                                                 std::string_view currency,
                                                 int64_t at_unix_ms) const {
  const auto* p = partner(partner_id);
  if (p == nullptr || !p->schedule)
    return refusal(error_code::no_contract, no_contract(partner_id));
  const auto& c = p->schedule->newest();
  if (c.kind != partner_kind::supplier)
    return refusal(error_code::bad_request,
                   "field 'partner': only a supplier holds credit, " + quoted(partner_id) +
                       " is a " + std::string{to_string(c.kind)});
  if (!protocol::valid_txn_id(id))
    return refusal(error_code::bad_request, "field 'id': expected 1..64 bytes");
  if (amount <= 0)
    return refusal(error_code::invalid_amount, "amount must be positive");
  if (pack_currency(currency) != c.currency)
    return refusal(error_code::currency_mismatch,
                   "the supplier settles in " + currency_text(c.currency));
  if (auto seen = p->topups.find(std::string{id}); seen != p->topups.end()) {
    if (seen->second != amount)
      return refusal(error_code::id_conflict, "top-up " + quoted(id) + " had another amount");
    settlement_verdict v;
    v.unchanged = true;
    return v;
  }
  int64_t total = 0;
  if (__builtin_add_overflow(p->credit_topped_up, amount, &total))
    return refusal(error_code::invalid_amount, "the credit would overflow");
  return record(topup_record{std::string{partner_id}, std::string{id}, amount, at_unix_ms});
}

settlement_verdict settlement_book::decide_suspension(std::string_view partner_id,
                                                      bool suspend) const {
  if (!protocol::valid_partner_id(partner_id))
    return refusal(error_code::bad_request, "field 'partner': invalid partner id");
  const auto* p = partner(partner_id);
  if ((p == nullptr ? false : p->suspended) == suspend) {
    settlement_verdict v;
    v.unchanged = true;
    return v;
  }
  return record(suspension_record{std::string{partner_id}, suspend});
}

settlement_verdict settlement_book::decide_close(std::string_view partner_id,
                                                 int64_t at_unix_ms,
                                                 const std::vector<period_totals>& totals,
                                                 const std::vector<statement_line>& lines,
                                                 std::string checksum) const {
  const auto* p = partner(partner_id);
  if (p == nullptr || !p->schedule)
    return refusal(error_code::no_contract, no_contract(partner_id));
  const auto& s = *p->schedule;
  const auto& c = s.in_force();
  statement_terms terms{std::string{partner_id},
                        s.open_period(),
                        s.open_since_unix_ms(),
                        std::max(at_unix_ms, s.open_since_unix_ms()),
                        c.revision,
                        c.currency,
                        c.share_bps,
                        c.via,
                        p->carried};
  auto done = compute_statement(terms, totals, fx_, lines, std::move(checksum));
  if (!done.done)
    return refusal(done.error, std::move(done.message));
  return record(close_record{std::move(*done.done)});
}

statement_result settlement_book::line_of(std::string_view provider, int64_t at_unix_ms,
                                          const std::vector<period_totals>& totals) const {
  const auto* p = partner(provider);
  if (p == nullptr || !p->schedule) {
    statement_result r;
    r.error = error_code::no_contract;
    r.message = no_contract(provider);
    return r;
  }
  const auto& c = p->schedule->in_force();
  statement_terms terms{std::string{provider}, 0, 0, at_unix_ms, c.revision, c.currency,
                        c.share_bps, c.via, 0};
  return compute_statement(terms, totals, fx_, {}, {});
}

// -- apply ----------------------------------------------------------------------------------

std::string settlement_book::apply_contract(const contract_record& r) {
  auto fields = r.fields.view();
  auto checked = check_contract(fields, [this](std::string_view id) -> const contract* {
    const auto* p = partner(id);
    return p != nullptr && p->schedule ? &p->schedule->newest() : nullptr;
  });
  if (!checked.accepted)
    return "contract of " + quoted(fields.partner) + " no longer checks: " + checked.message;
  auto c = std::move(*checked.accepted);
  c.revision = r.revision;
  auto& p = partners_[c.partner];
  const uint32_t expected = p.schedule ? p.schedule->newest().revision + 1 : 1;
  if (r.revision != expected)
    return "contract revision " + std::to_string(r.revision) + " of " + quoted(c.partner) +
           " after " + std::to_string(expected - 1);
  p.newest_fields = r.fields;
  if (p.schedule)
    p.schedule->change(std::move(c));
  else
    p.schedule.emplace(std::move(c), r.at_unix_ms);
  return {};
}

std::string settlement_book::apply_close(const close_record& r) {
  const auto& st = r.stated;
  auto it = partners_.find(st.terms.partner);
  if (it == partners_.end() || !it->second.schedule)
    return "a close of " + quoted(st.terms.partner) + ", which has no contract";
  auto& p = it->second;
  if (st.terms.period != p.schedule->open_period() ||
      st.terms.from_unix_ms != p.schedule->open_since_unix_ms())
    return "a close of period " + std::to_string(st.terms.period) + " of " +
           quoted(st.terms.partner) + " while period " +
           std::to_string(p.schedule->open_period()) + " is open";
  // The kind the period ran under: a pending revision takes over at this close.
  const bool supplier = p.schedule->in_force().kind == partner_kind::supplier;
  p.schedule->close(st.terms.to_unix_ms);
  p.carried = st.carried_forward;
  if (supplier)
    p.credit_consumed += st.net_payable;
  SETTLE_ASSERT(p.credit_consumed >= 0, "a supplier's consumed credit went negative");
  p.statements.push_back(st);
  return {};
}

std::string settlement_book::apply(const settlement_record& record) {
  struct visitor {
    settlement_book& book;
    std::string operator()(const contract_record& r) { return book.apply_contract(r); }
    std::string operator()(const fx_record& r) {
      return book.fx_.set(r.base, r.quote, r.rate, r.at_unix_ms)
                 ? std::string{}
                 : "an FX rate older than the newest of its pair";
    }
    std::string operator()(const topup_record& r) {
      auto& p = book.partners_[r.partner];
      if (!p.topups.emplace(r.id, r.amount).second)
        return "top-up " + quoted(r.id) + " applied twice";
      p.credit_topped_up += r.amount;
      return {};
    }
    std::string operator()(const suspension_record& r) {
      book.partners_[r.partner].suspended = r.suspended;
      return {};
    }
    std::string operator()(const close_record& r) { return book.apply_close(r); }
  };
  return std::visit(visitor{*this}, record);
}

// -- reads ----------------------------------------------------------------------------------

int64_t settlement_book::credit_remaining(std::string_view supplier, int64_t live_share) const {
  const auto* p = partner(supplier);
  if (p == nullptr)
    return 0;
  // A negative open period consumes nothing (its shortfall carries forward instead).
  const int64_t live = std::max<int64_t>(0, live_share + p->carried);
  return p->credit_topped_up - p->credit_consumed - live;
}

std::vector<std::string> settlement_book::due(int64_t now_unix_ms) const {
  std::vector<std::string> out;
  for (const auto& [id, p] : partners_)
    if (p.schedule && p.schedule->closes_at_unix_ms() <= now_unix_ms)
      out.push_back(id);
  return out;
}

std::vector<std::string> settlement_book::providers_via(std::string_view supplier) const {
  std::vector<std::string> out;
  for (const auto& [id, p] : partners_)
    if (p.schedule && p.schedule->newest().via == supplier)
      out.push_back(id);
  return out;
}

}  // namespace settle::ledger
