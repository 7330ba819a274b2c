#include "ledger/statement.hpp"

#include <algorithm>
#include <array>

#include <openssl/evp.h>

#include "base/invariant.hpp"

namespace settle::ledger {

std::optional<int64_t> ggr_of(const period_totals& t) {
  int64_t out = 0;
  if (__builtin_sub_overflow(t.bets, t.wins, &out) ||
      __builtin_sub_overflow(out, t.rollbacks, &out))
    return std::nullopt;
  return out;
}

namespace {

using protocol::error_code;

statement_result refused(error_code code, std::string message) {
  statement_result r;
  r.error = code;
  r.message = std::move(message);
  return r;
}

std::optional<int64_t> checked_sum(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out))
    return std::nullopt;
  return out;
}

/// One currency's line, converted; an error when it cannot be.
std::optional<statement_result> convert_currency(const statement_terms& terms,
                                                 const period_totals& t, const fx_book& fx,
                                                 statement_currency& out) {
  const auto to_exponent = minor_exponent(terms.settlement_currency);
  const auto from_exponent = minor_exponent(t.currency);
  if (!to_exponent || !from_exponent)
    return refused(error_code::bad_request,
                   "no ISO 4217 minor unit for " +
                       currency_text(!to_exponent ? terms.settlement_currency : t.currency));
  auto rate = fx.rate_for(t.currency, terms.settlement_currency, terms.to_unix_ms);
  if (!rate)
    return refused(error_code::fx_missing,
                   "no rate " + currency_text(t.currency) + "->" +
                       currency_text(terms.settlement_currency) + " (or the inverse) set before " +
                       std::to_string(terms.to_unix_ms) + "; the period stays open");
  auto ggr = ggr_of(t);
  auto converted = ggr ? convert(*ggr, *from_exponent, rate->rate, *to_exponent) : std::nullopt;
  if (!converted)
    return refused(error_code::invalid_amount,
                   "the GGR in " + currency_text(t.currency) + " does not fit in 64 bits");
  out.totals = t;
  out.ggr = *ggr;
  out.rate = *rate;
  out.ggr_settlement = *converted;
  return std::nullopt;
}

/// Share, carry and payee: the rules after the sum is known.
void settle_share(statement& s) {
  const auto& terms = s.terms;
  SETTLE_ASSERT(terms.carried_in <= 0, "a positive carry: only shortfalls carry forward");
  s.share = share_of(s.ggr_settlement, terms.share_bps);
  if (!terms.via.empty()) {
    // Its supplier's statement pays for it (its GGR is a line there); the carry stays.
    s.payable_to = terms.via;
    s.net_payable = 0;
    s.carried_forward = terms.carried_in;
    return;
  }
  s.payable_to = terms.partner;
  // |share| <= |ggr_settlement| and carried_in <= 0: the sum of two int64 of these ranges
  // fits unless both are near the minimum, which checked_sum reports.
  const auto due = checked_sum(s.share, terms.carried_in).value_or(INT64_MIN);
  s.net_payable = std::max<int64_t>(0, due);
  s.carried_forward = std::min<int64_t>(0, due);
}

}  // namespace

statement_result compute_statement(const statement_terms& terms,
                                   const std::vector<period_totals>& totals, const fx_book& fx,
                                   const std::vector<statement_line>& lines,
                                   std::string checksum) {
  SETTLE_ASSERT(terms.share_bps <= 10'000, "a share above 100%");
  SETTLE_ASSERT(terms.from_unix_ms <= terms.to_unix_ms, "a period that ends before it starts");
  statement s;
  s.terms = terms;
  s.checksum = std::move(checksum);
  for (const auto& t : totals) {
    statement_currency c;
    if (auto refusal = convert_currency(terms, t, fx, c))
      return std::move(*refusal);
    auto sum = checked_sum(s.ggr_settlement, c.ggr_settlement);
    if (!sum)
      return refused(error_code::invalid_amount, "the period's GGR does not fit in 64 bits");
    s.ggr_settlement = *sum;
    s.txn_count += t.bet_count + t.win_count + t.rollback_count;
    s.currencies.push_back(std::move(c));
  }
  std::sort(s.currencies.begin(), s.currencies.end(),
            [](const auto& a, const auto& b) { return a.totals.currency < b.totals.currency; });
  if (!lines.empty()) {
    s.lines = lines;
    const int64_t own = s.ggr_settlement;
    for (const auto& l : lines) {
      auto sum = checked_sum(s.ggr_settlement, l.ggr_settlement);
      if (!sum)
        return refused(error_code::invalid_amount, "the lines' GGR does not fit in 64 bits");
      s.ggr_settlement = *sum;
    }
    s.lines.push_back({terms.partner, own});  // its own direct traffic, last
  }
  settle_share(s);
  statement_result r;
  r.done = std::move(s);
  return r;
}

std::string statement_checksum(std::vector<std::string>& ids) {
  std::sort(ids.begin(), ids.end());  // std::string compares bytewise (char_traits<char>)
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  SETTLE_ASSERT(ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1,
                "SHA-256 unavailable");
  for (const auto& id : ids) {
    EVP_DigestUpdate(ctx, id.data(), id.size());
    EVP_DigestUpdate(ctx, "\n", 1);
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx, digest.data(), &size);
  EVP_MD_CTX_free(ctx);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (unsigned int i = 0; i < size; ++i) {
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0xf]);
  }
  return out;
}

}  // namespace settle::ledger
