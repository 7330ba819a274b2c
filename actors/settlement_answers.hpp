// The settlement state as wire answers (protocol/settlement.hpp): conversions only, no rules.
#pragma once

#include <memory>

#include "ledger/reconcile.hpp"
#include "ledger/settlement_book.hpp"
#include "persistence/settlement_store.hpp"
#include "protocol/settlement.hpp"

namespace settle::actors {

protocol::contract_terms terms_of(const ledger::contract_fields_owned& f);
/// One currency's totals (GGR included) as the wire has them.
protocol::currency_totals totals_of(const ledger::period_totals& t);
/// A statement's own fields (statement answer) and its summary (statements answer).
void fill_statement(protocol::settlement_answer& a, const ledger::statement& st);
protocol::statement_summary summary_of(const ledger::statement& st);
protocol::reconcile_answer answer_of(const ledger::reconcile_result& r);
/// contract_set's wire terms as the ledger's fields (views into `req`).
ledger::contract_fields fields_of(std::string_view partner, const protocol::contract_terms& t);
ledger::txn_row row_of(const protocol::reconcile_row& r);

/// Sets a configured contract ([[partners]]) unless the partner's newest contract already has
/// these terms: a new revision, journaled in `store` and applied to `book`. Throws
/// std::runtime_error naming the partner when the contract is refused.
void apply_configured_contract(ledger::settlement_book& book, persistence::settlement_store& store,
                               const std::string& partner, const protocol::contract_terms& terms,
                               int64_t now_unix_ms);

/// A successful answer to `req` carrying `a`.
protocol::response answer(const protocol::request& req,
                          std::shared_ptr<protocol::settlement_answer> a);

}  // namespace settle::actors
