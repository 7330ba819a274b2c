#include "ledger/contract.hpp"

#include <array>

#include "base/invariant.hpp"
#include "ledger/money.hpp"
#include "protocol/codec.hpp"

namespace settle::ledger {

namespace {

using protocol::error_code;

constexpr std::array<std::string_view, 3> kind_names{"provider", "supplier", "payment"};

contract_check refused(std::string message) {
  contract_check c;
  c.error = error_code::bad_request;
  c.message = std::move(message);
  return c;
}

std::string quoted(std::string_view text) {
  return "'" + std::string{text.substr(0, 64)} + "'";
}

/// The fields after the cycle: share, via, credit alert, rate limit.
std::optional<contract_check> check_terms(
    const contract_fields& f, contract& c,
    const std::function<const contract*(std::string_view)>& contract_of) {
  if (!f.share_bps)
    return refused("field 'share_bps': missing");
  if (*f.share_bps < 0 || *f.share_bps > max_share_bps)
    return refused("field 'share_bps': expected 0..10000, got " + std::to_string(*f.share_bps));
  c.share_bps = static_cast<uint32_t>(*f.share_bps);
  if (f.via) {
    if (c.kind != partner_kind::provider)
      return refused("field 'via': only a provider settles through a supplier");
    if (*f.via == f.partner)
      return refused("field 'via': a partner cannot settle through itself");
    const contract* supplier = contract_of(*f.via);
    if (supplier == nullptr || supplier->kind != partner_kind::supplier)
      return refused("field 'via': " + quoted(*f.via) + " has no supplier contract");
    // Its GGR is a line of the supplier's statement, so both are in one currency.
    if (supplier->currency != c.currency)
      return refused("field 'currency': a provider settling via " + quoted(*f.via) +
                     " settles in its currency, " + currency_text(supplier->currency));
    c.via = std::string{*f.via};
  }
  if (f.credit_alert) {
    if (c.kind != partner_kind::supplier)
      return refused("field 'credit_alert': only a supplier holds credit");
    if (*f.credit_alert < 0)
      return refused("field 'credit_alert': expected >= 0, got " +
                     std::to_string(*f.credit_alert));
    c.credit_alert = *f.credit_alert;
  }
  if (f.max_tps) {
    if (*f.max_tps < 1 || *f.max_tps > max_contract_tps)
      return refused("field 'max_tps': expected 1..10000000, got " + std::to_string(*f.max_tps));
    c.max_tps = static_cast<uint32_t>(*f.max_tps);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(partner_kind k) {
  const auto i = static_cast<size_t>(k);
  return i < kind_names.size() ? kind_names[i] : "invalid";
}

contract_check check_contract(
    const contract_fields& f,
    const std::function<const contract*(std::string_view partner)>& contract_of) {
  if (!protocol::valid_partner_id(f.partner))
    return refused("field 'partner': expected 1..64 bytes of [A-Za-z0-9._-], got " +
                   quoted(f.partner));
  contract c;
  c.partner = std::string{f.partner};
  size_t kind = 0;
  while (kind < kind_names.size() && kind_names[kind] != f.kind)
    ++kind;
  if (kind == kind_names.size())
    return refused("field 'kind': expected provider, supplier or payment, got " +
                   quoted(f.kind));
  c.kind = static_cast<partner_kind>(kind);
  if (f.currency.size() != 3 || !minor_exponent(f.currency))
    return refused("field 'currency': " + quoted(f.currency) +
                   " is not an ISO 4217 currency with a minor unit");
  c.currency = pack_currency(f.currency);
  auto cycle = parse_cycle(f.cycle, f.weekday, f.day, f.cutoff, f.tz);
  if (!cycle.ok())
    return refused(std::move(cycle.error));
  c.cycle = std::move(*cycle.spec);
  if (auto refusal = check_terms(f, c, contract_of))
    return std::move(*refusal);
  contract_check out;
  out.accepted = std::move(c);
  return out;
}

namespace {

std::optional<std::string> owned(const std::optional<std::string_view>& v) {
  return v ? std::optional<std::string>{std::string{*v}} : std::nullopt;
}
std::optional<std::string_view> viewed(const std::optional<std::string>& v) {
  return v ? std::optional<std::string_view>{*v} : std::nullopt;
}

}  // namespace

contract_fields_owned contract_fields_owned::of(const contract_fields& f) {
  return {std::string{f.partner}, std::string{f.kind}, std::string{f.currency},
          std::string{f.cycle},   owned(f.tz),         owned(f.cutoff),
          owned(f.weekday),       owned(f.day),        owned(f.via),
          f.share_bps,            f.credit_alert,      f.max_tps};
}

contract_fields contract_fields_owned::view() const {
  return {partner,      kind,         currency,      cycle,     viewed(tz),   viewed(cutoff),
          viewed(weekday), viewed(day), viewed(via), share_bps, credit_alert, max_tps};
}

partner_schedule::partner_schedule(contract first, int64_t at_unix_ms)
    : current_(std::move(first)),
      from_unix_ms_(at_unix_ms),
      closes_at_unix_ms_(next_boundary_ms(current_.cycle, at_unix_ms)) {}

void partner_schedule::change(contract next) {
  SETTLE_ASSERT(next.revision > newest().revision, "a contract revision that does not grow");
  pending_ = std::move(next);
}

closed_period partner_schedule::close(int64_t at_unix_ms) {
  SETTLE_ASSERT(at_unix_ms >= from_unix_ms_, "a period that would end before it began");
  closed_period done{period_, from_unix_ms_, at_unix_ms, current_.revision};
  if (pending_) {
    current_ = std::move(*pending_);
    pending_.reset();
  }
  ++period_;
  from_unix_ms_ = at_unix_ms;
  closes_at_unix_ms_ = next_boundary_ms(current_.cycle, at_unix_ms);
  SETTLE_ASSERT(closes_at_unix_ms_ > at_unix_ms, "a next boundary that is not later");
  return done;
}

}  // namespace settle::ledger
