// Zipf-distributed integers in [0, n): a few hot players, a long tail. Hand-written because
// neither the standard library nor Boost.Random has a Zipf distribution; this is the
// rejection-inversion method of Hoermann and Derflinger (1996): O(1) per draw, no tables, so
// a population of millions costs nothing to set up.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace settle::bench {

/// Draws k in [0, n) with probability proportional to 1 / (k + 1)^s (s > 0, s != 1 exactly
/// is not required).
class zipf_distribution {
public:
  zipf_distribution(uint64_t n, double s) : n_(static_cast<double>(n)), s_(s) {
    h_x1_ = h(1.5) - 1.0;
    h_n_ = h(n_ + 0.5);
    threshold_ = 2.0 - h_inv(h(2.5) - std::exp(-s_ * std::log(2.0)));
  }

  template <class Rng>
  uint64_t operator()(Rng& rng) {
    std::uniform_real_distribution<double> uni(0.0, 1.0);
    for (;;) {
      double u = h_n_ + uni(rng) * (h_x1_ - h_n_);
      double x = h_inv(u);
      double k = std::floor(x + 0.5);
      if (k < 1)
        k = 1;
      else if (k > n_)
        k = n_;
      if (k - x <= threshold_ || u >= h(k + 0.5) - std::exp(-s_ * std::log(k)))
        return static_cast<uint64_t>(k) - 1;
    }
  }

private:
  // h is an antiderivative of x^-s; h_inv its inverse (with care near s == 1).
  double h(double x) const { return helper2((1.0 - s_) * std::log(x)) * std::log(x); }
  double h_inv(double x) const {
    double t = x * (1.0 - s_);
    if (t < -1.0)
      t = -1.0;
    return std::exp(helper1(t) * x);
  }
  static double helper1(double x) {  // log1p(x) / x, stable near 0
    return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
  }
  static double helper2(double x) {  // expm1(x) / x, stable near 0
    return std::abs(x) > 1e-8 ? std::expm1(x) / x
                              : 1.0 + x * 0.5 * (1.0 + x * (1.0 / 3.0) * (1.0 + 0.25 * x));
  }

  double n_, s_;
  double h_x1_, h_n_, threshold_;
};

}  // namespace settle::bench
