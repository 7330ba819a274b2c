// The benchmark's load: Zipf-distributed players, the configured mix, retries of earlier ids.
#define BOOST_TEST_MODULE workload
#include <boost/test/unit_test.hpp>

#include <map>
#include <random>
#include <set>

#include "bench/workload.hpp"
#include "bench/zipf.hpp"

using namespace settle;
using protocol::txn_kind;

BOOST_AUTO_TEST_CASE(zipf_draws_stay_in_range_and_favour_low_ranks) {
  std::mt19937_64 rng(1);
  bench::zipf_distribution z(1'000'000, 0.99);
  std::map<uint64_t, int> counts;
  for (int i = 0; i < 200'000; ++i) {
    auto k = z(rng);
    BOOST_REQUIRE_LT(k, 1'000'000u);
    ++counts[k];
  }
  // P(rank 0) / P(rank 9) = 10^0.99, about 9.8.
  double ratio = static_cast<double>(counts[0]) / std::max(1, counts[9]);
  BOOST_CHECK_GT(ratio, 6.0);
  BOOST_CHECK_LT(ratio, 15.0);
  BOOST_CHECK_GT(counts.size(), 10'000u);  // a long tail, not a handful of values
  bench::zipf_distribution small(3, 1.2);
  for (int i = 0; i < 1000; ++i)
    BOOST_REQUIRE_LT(small(rng), 3u);
}

BOOST_AUTO_TEST_CASE(the_mix_and_retries_follow_the_options) {
  bench::workload_options o;
  o.accounts = 1000;
  o.retry_pct = 5;
  bench::validate(o);
  bench::workload_generator gen(o, 0);
  std::map<txn_kind, int> kinds;
  std::set<std::string> ids;
  int retries = 0;
  const int n = 20'000;
  for (int i = 0; i < n; ++i) {
    auto r = gen.next();
    if (!ids.insert(r.id).second) {
      ++retries;
      continue;
    }
    ++kinds[r.kind];
    BOOST_REQUIRE(!r.account.empty());
    if (r.kind == txn_kind::rollback)
      BOOST_CHECK(!r.ref.empty());
  }
  auto share = [&](txn_kind k) { return 100.0 * kinds[k] / (n - retries); };
  BOOST_CHECK_CLOSE(share(txn_kind::bet), 60.0, 5.0);  // percent of the expected value
  BOOST_CHECK_CLOSE(share(txn_kind::win), 30.0, 8.0);
  BOOST_CHECK_GT(share(txn_kind::rollback), 3.5);
  BOOST_CHECK_GT(share(txn_kind::deposit), 2.0);
  BOOST_CHECK_GT(share(txn_kind::withdraw), 1.0);
  BOOST_CHECK_CLOSE(100.0 * retries / n, 5.0, 20.0);
  BOOST_CHECK_EQUAL(bench::accounts_of(o).size(), 1000u);
}

BOOST_AUTO_TEST_CASE(a_mix_that_does_not_add_up_is_refused) {
  bench::workload_options o;
  o.bet_pct = 50;
  BOOST_CHECK_THROW(bench::validate(o), std::invalid_argument);
  o.bet_pct = 0;
  o.win_pct = 95;
  o.rollback_pct = 0;
  BOOST_CHECK_THROW(bench::validate(o), std::invalid_argument);
}
