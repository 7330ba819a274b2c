// The engine's one assertion: on in every build (release included), because an invariant that
// breaks in production is exactly the case worth stopping for. A failed one writes what failed,
// where, and why to stderr, then aborts; nothing after it could be trusted.
//
// Use them in pairs, TigerBeetle-style: check data right before it is written (a journal batch,
// a snapshot) and right after it is read back. Refusals of bad input are not assertions: they
// are error codes (ledger/, protocol/) or exceptions (persistence/, config/); an assertion is
// for what no input may cause.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace settle::base {

/// Reports a failed invariant and aborts. Out of line of the caller's hot path ([[gnu::cold]]).
[[noreturn, gnu::cold, gnu::noinline]] inline void invariant_failed(const char* expression,
                                                                    const char* file, int line,
                                                                    std::string_view why) {
  std::fprintf(stderr, "settle: invariant failed at %s:%d: %s: %.*s\n", file, line, expression,
               static_cast<int>(why.size()), why.data());
  std::fflush(stderr);
  std::abort();
}

}  // namespace settle::base

/// SETTLE_ASSERT(condition, why): `why` (a string or anything convertible to std::string_view)
/// is evaluated only when the condition fails, so building a message costs nothing otherwise.
#define SETTLE_ASSERT(condition, why)                                                   \
  do {                                                                                  \
    if (__builtin_expect(!(condition), 0))                                              \
      ::settle::base::invariant_failed(#condition, __FILE__, __LINE__, std::string{why}); \
  } while (false)
