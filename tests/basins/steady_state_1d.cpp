// The exact 1-D steady state against closed forms (B.1) and against a brute-force fine-grid
// trapezoid rule with Richardson extrapolation, for constant and position-dependent D.
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include <boost/math/quadrature/gauss_kronrod.hpp>

#include "shiftcurv/basins/steady_state_1d.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/scalar_field.hpp"
#include "shiftcurv/synthetic/closed_forms.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"

namespace sc = shiftcurv;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
double rel(double got, double want) { return std::abs(got - want) / std::abs(want); }

// A root of f in [a, b] by plain bisection (the test's own, independent of the library).
double bisect(const std::function<double(double)>& f, double a, double b) {
  double fa = f(a);
  for (int i = 0; i < 200 && b - a > 1e-15 * std::max(1.0, std::abs(a)); ++i) {
    const double m = 0.5 * (a + b), fm = f(m);
    if ((fm < 0) == (fa < 0)) { a = m; fa = fm; } else { b = m; }
  }
  return 0.5 * (a + b);
}

// Brute force on [a, b]: log-density ℓ(θ) on a uniform grid, integrals of g_j·e^{ℓ−shift}
// (all j in one pass) by the trapezoid rule with n and 2n cells, Richardson-extrapolated
// (4T_{2n} − T_n)/3.
struct brute {
  std::function<double(double)> ell;  // unnormalized log ρ
  double shift;                       // subtracted before exp
  std::vector<double> integrals(const std::vector<std::function<double(double)>>& g, double a, double b,
                                long n) const {
    const std::size_t k = g.size();
    std::vector<long double> coarse(k, 0.0L), fine(k, 0.0L);
    const double h = (b - a) / (2 * n);
    for (long i = 0; i <= 2 * n; ++i) {
      const double x = i == 2 * n ? b : a + h * i;
      const double w = std::exp(ell(x) - shift);
      const double end = (i == 0 || i == 2 * n) ? 0.5 : 1.0;
      for (std::size_t j = 0; j < k; ++j) {
        const long double f = g[j](x) * w;
        fine[j] += end * f;
        if (i % 2 == 0) coarse[j] += end * f;
      }
    }
    std::vector<double> out(k);
    for (std::size_t j = 0; j < k; ++j)
      out[j] = static_cast<double>((4 * fine[j] * h - coarse[j] * 2 * h) / 3);
    return out;
  }
  double integral(const std::function<double(double)>& g, double a, double b, long n) const {
    return integrals({g}, a, b, n)[0];
  }
};

struct fig4 {
  sc::gaussian_wells_1d U{{-1, 1}, {0.021, 0.1}, {0.1, 0.5}};
  double barrier() const {  // the local maximum of U between the wells
    return bisect([this](double t) { return U.derivative(t, 1); }, -0.9, 0.9);
  }
};
}  // namespace

TEST_CASE("1-D potential and density against the B.1 closed forms") {
  // Case 1: U = a + ½hθ², D = U (non-constant): v = (1 + T/2) log U.
  // Case 3: U = ½hθ², D = 1/(1 + κU): v = U + κU²/2 − (T/2) log(1 + κU).
  // Case 2: U = ½hθ², D = 1/h (constant): v = ½(hθ)².
  // The potential is exact up to the tabulated remainder integral (GK to 1e-15 per cell):
  // 1e-10 relative is the bound, with a margin of ~100 over what we measure.
  const double lo = -2.0, hi = 3.0;
  for (double T : {0.05, 0.5, 1.5}) {
    CAPTURE(T);
    sc::b1_case1 c1(MatrixXd::Constant(1, 1, 1.3), 0.4);
    sc::b1_case3 c3((VectorXd(1) << 1.3).finished(), 0.7);
    sc::b1_case2 c2(MatrixXd::Constant(1, 1, 1.3));
    const sc::steady_state_1d s1(c1.loss, c1.noise, T, lo, hi);
    const sc::steady_state_1d s3(c3.loss, c3.noise, T, lo, hi);
    const sc::steady_state_1d s2(c2.loss, c2.noise, T, lo, hi);
    REQUIRE(s1.status() == sc::status::success);
    REQUIRE(s3.status() == sc::status::success);
    REQUIRE(s2.status() == sc::status::success);
    auto closed = [T](const auto& c, double t) { return c.potential(T, (VectorXd(1) << t).finished()); };
    for (double t : {-1.7, -0.6, 0.35, 1.1, 2.9}) {
      CAPTURE(t);
      CHECK(rel(s1.potential(t), closed(c1, t) - closed(c1, lo)) < 1e-10);
      CHECK(rel(s3.potential(t), closed(c3, t) - closed(c3, lo)) < 1e-10);
      CHECK(rel(s2.potential(t), closed(c2, t) - closed(c2, lo)) < 1e-10);
    }
    // Normalized density: ρ ∝ exp(−(2/T)v) normalized here by Boost's adaptive G–K on the
    // closed form (split at the mode 0), to 1e-14.
    auto check_density = [&](const auto& c, const sc::steady_state_1d& s) {
      auto f = [&](double t) { return std::exp(-2 / T * (closed(c, t) - closed(c, 0.0))); };
      using gk = boost::math::quadrature::gauss_kronrod<double, 61>;
      const double Z = gk::integrate(f, lo, 0.0, 20, 1e-14) + gk::integrate(f, 0.0, hi, 20, 1e-14);
      for (double t : {-1.0, -0.1, 0.0, 0.2, 0.8}) {
        CAPTURE(t);
        CHECK(rel(s.density(t), f(t) / Z) < 1e-10);
      }
    };
    check_density(c1, s1);
    check_density(c3, s3);
    check_density(c2, s2);
  }
}

TEST_CASE("Figure 4 setting: basins, probabilities and E[U_tr], E[U_test] vs brute force, constant D") {
  // v = U/D exactly for constant D.  The brute-force grid has ≥ 30 points per width of ρ
  // (h = 8/2^21 ≈ 3.8e-6 against a width ≥ 2.4e-4 at T = 1e-3), where the trapezoid rule for
  // a smooth peak decaying to e^{-huge} at both ends is accurate to rounding; Richardson
  // removes any O(h²) end effect.  Tolerance 1e-8 relative (the requirement), on the
  // log-probability as an absolute 1e-8 for basins whose probability underflows.
  fig4 f;
  const double c = 1e-3, lo = -4, hi = 4, shift = 0.1;
  const auto Ut = f.U.shifted(shift);
  sc::constant_diffusion D(c, 1);
  const double m = f.barrier();
  const double theta_left = bisect([&](double t) { return f.U.derivative(t, 1); }, -1.2, -0.8);
  const double theta_right = bisect([&](double t) { return f.U.derivative(t, 1); }, 0.8, 1.2);
  for (double T : {1.0, 0.1, 1e-3}) {
    CAPTURE(T);
    const sc::steady_state_1d ss(f.U, D, T, lo, hi);
    REQUIRE(ss.status() == sc::status::success);
    REQUIRE(ss.basins().size() == 2);
    const auto& b = ss.basins();
    CHECK(b[0].lower == lo);
    CHECK(b[1].upper == hi);
    CHECK(std::abs(b[0].upper - m) < 1e-13);
    CHECK(std::abs(b[1].lower - m) < 1e-13);
    CHECK(std::abs(b[0].minimum - theta_left) < 1e-13);
    CHECK(std::abs(b[1].minimum - theta_right) < 1e-13);

    auto ell = [&](double t) { return -2 / T * f.U.value(t) / c; };
    const double peak = std::max(ell(theta_left), ell(theta_right));
    // Cells over the whole interval at the coarse level: ≥ 30 per width of ρ.
    const long n = T < 0.01 ? (1L << 20) : (1L << 17);
    const long nl = static_cast<long>(n * (m - lo) / (hi - lo)), nr = n - nl;
    auto one = [](double) { return 1.0; };
    auto utr = [&](double t) { return f.U.value(t); };
    auto ute = [&](double t) { return Ut.value(t); };
    // Each basin relative to its own peak, so that an underflowing basin keeps its digits.
    const brute bl{ell, ell(theta_left)}, br{ell, ell(theta_right)};
    const auto L = bl.integrals({one, utr, ute}, lo, m, nl);
    const auto R = br.integrals({one, utr, ute}, m, hi, nr);
    const double log_ml = std::log(L[0]) + ell(theta_left) - peak;
    const double log_mr = std::log(R[0]) + ell(theta_right) - peak;
    const double log_z = std::log(std::exp(log_ml) + std::exp(log_mr));
    const double log_pl = log_ml - log_z, log_pr = log_mr - log_z;
    CHECK(std::abs(b[0].log_probability - log_pl) < 1e-8);
    CHECK(std::abs(b[1].log_probability - log_pr) < 1e-8);
    if (std::exp(log_pr) > 1e-300) CHECK(rel(b[1].probability, std::exp(log_pr)) < 1e-8);
    CHECK(rel(b[0].probability, std::exp(log_pl)) < 1e-8);

    const double pl = std::exp(log_pl), pr = std::exp(log_pr);
    const double e_tr = pl * L[1] / L[0] + pr * R[1] / R[0];
    const double e_te = pl * L[2] / L[0] + pr * R[2] / R[0];
    const auto r_tr = ss.expected_loss(f.U);
    const auto r_te = ss.expected_loss(Ut);
    CHECK(r_tr.ok());
    CHECK(r_te.ok());
    CHECK(rel(r_tr.value, e_tr) < 1e-8);
    CHECK(rel(r_te.value, e_te) < 1e-8);
    // The error estimates are honest: within the tolerance that was met.
    CHECK(r_tr.error_estimate < 1e-8 * std::abs(e_tr));
  }
}

TEST_CASE("position-dependent D: closed form for D = a + b(U - min U), brute force for D = a + bθ") {
  fig4 f;
  const double lo = -4, hi = 4;
  const double m = f.barrier();
  const double theta_left = bisect([&](double t) { return f.U.derivative(t, 1); }, -1.2, -0.8);
  const double umin = f.U.value(theta_left);
  {
    // D = a + b(U − U_min): ∫U'/D = (1/b) log D, so v = (1/b + T/2) log D (closed form).
    const double a = 2e-3, bb = 0.05;
    auto dfield = [&](const auto& x) { return a + bb * (f.U.at(x(0)) - umin); };
    sc::scalar_field_diffusion D{dfield};
    for (double T : {0.5, 0.05}) {
      CAPTURE(T);
      const sc::steady_state_1d ss(f.U, D, T, lo, hi);
      REQUIRE(ss.status() == sc::status::success);
      auto v = [&](double t) { return (1 / bb + T / 2) * std::log(a + bb * (f.U.value(t) - umin)); };
      for (double t : {-3.0, -1.0, -0.2, 0.9, 3.5})
        CHECK(std::abs(ss.potential(t) - (v(t) - v(lo))) < 1e-10 * std::abs(v(t) - v(lo)) + 1e-12);
      auto ell = [&](double t) { return -2 / T * v(t); };
      const brute bf{ell, ell(theta_left)};
      const long n = 1L << 18;
      const long nl = static_cast<long>(n * (m - lo) / (hi - lo)), nr = n - nl;
      auto one = [](double) { return 1.0; };
      auto utr = [&](double t) { return f.U.value(t); };
      const auto L = bf.integrals({one, utr}, lo, m, nl), R = bf.integrals({one, utr}, m, hi, nr);
      const double ml = L[0], mr = R[0];
      CHECK(rel(ss.basins()[0].probability, ml / (ml + mr)) < 1e-8);
      CHECK(rel(ss.basins()[1].probability, mr / (ml + mr)) < 1e-8);
      const double e = (L[1] + R[1]) / (ml + mr);
      CHECK(rel(ss.expected_loss(f.U).value, e) < 1e-8);
    }
  }
  {
    // D = a + bθ: v tabulated here by 5-point Gauss–Legendre per grid cell of U'/D (error
    // ≈ h^10·|f^(10)| ≈ 1e-20 for h = 8/2^18) plus (T/2) log D, then the trapezoid rule.
    const double a = 0.01, bb = 0.002;
    auto dfield = [&](const auto& x) { return a + bb * x(0); };
    sc::scalar_field_diffusion D{dfield};
    const double gx[5] = {-0.9061798459386640, -0.5384693101056831, 0.0, 0.5384693101056831, 0.9061798459386640};
    const double gw[5] = {0.2369268850561891, 0.4786286704993665, 0.5688888888888889, 0.4786286704993665, 0.2369268850561891};
    const long n = 1L << 18;  // coarse trapezoid cells; the table has 2n cells
    const double h = (hi - lo) / (2 * n);
    std::vector<double> I(2 * n + 1, 0.0);
    long double acc = 0;
    for (long i = 0; i < 2 * n; ++i) {
      const double x0 = lo + h * i;
      long double s = 0;
      for (int k = 0; k < 5; ++k) {
        const double x = x0 + 0.5 * h * (1 + gx[k]);
        s += gw[k] * f.U.derivative(x, 1) / (a + bb * x);
      }
      acc += s * 0.5 * h;
      I[i + 1] = static_cast<double>(acc);
    }
    for (double T : {0.5, 0.05}) {
      CAPTURE(T);
      const sc::steady_state_1d ss(f.U, D, T, lo, hi);
      REQUIRE(ss.status() == sc::status::success);
      // ℓ at grid nodes only: the brute-force sums visit exactly those (2n cells, or n).
      auto ell = [&](double t) {
        const long i = std::lround((t - lo) / h);
        return -2 / T * (I[i] + 0.5 * T * std::log(a + bb * t));
      };
      for (double t : {-3.0, -1.0, 0.5, 2.0}) {
        const double want = -0.5 * T * (ell(t) - ell(lo));
        CHECK(std::abs(ss.potential(t) - want) < 1e-10 * std::abs(want));
      }
      // Basin boundary snapped to the grid: ρ there is ≤ e^{-40} of its peak at these T, so
      // the snap changes the basin masses by far less than 1e-8.
      const long im = std::lround((m - lo) / h / 2) * 2;
      const double ms = lo + h * im;
      const long nl = im / 2, nr = n - nl;
      const brute bf{ell, ell(lo + h * std::lround((theta_left - lo) / h))};
      auto one = [](double) { return 1.0; };
      auto utr = [&](double t) { return f.U.value(t); };
      const auto L = bf.integrals({one, utr}, lo, ms, nl), R = bf.integrals({one, utr}, ms, hi, nr);
      const double ml = L[0], mr = R[0];
      CHECK(rel(ss.basins()[0].probability, ml / (ml + mr)) < 1e-8);
      CHECK(rel(ss.basins()[1].probability, mr / (ml + mr)) < 1e-8);
      const double e = (L[1] + R[1]) / (ml + mr);
      CHECK(rel(ss.expected_loss(f.U).value, e) < 1e-8);
    }
  }
}

TEST_CASE("expectations of other functions and the normalization") {
  // ∫ρ = 1 and E[θ] against the brute-force rule for the Figure 4 loss at T = 0.5.
  fig4 f;
  sc::constant_diffusion D(1e-3, 1);
  const double T = 0.5, lo = -4, hi = 4;
  const sc::steady_state_1d ss(f.U, D, T, lo, hi);
  const auto one = ss.expectation([](double) { return 1.0; });
  CHECK(std::abs(one.value - 1) < 1e-12);
  auto ell = [&](double t) { return -2 / T * f.U.value(t) / 1e-3; };
  const double m = f.barrier();
  const brute bf{ell, ell(-1.0)};
  const long n = 1L << 18;
  const long nl = static_cast<long>(n * (m - lo) / (hi - lo)), nr = n - nl;
  auto id = [](double t) { return t; };
  auto unit = [](double) { return 1.0; };
  const auto L = bf.integrals({unit, id}, lo, m, nl), R = bf.integrals({unit, id}, m, hi, nr);
  const double mean = (L[1] + R[1]) / (L[0] + R[0]);
  CHECK(rel(ss.expectation(id).value, mean) < 1e-8);
  CHECK(ss.density(-5.0) == 0.0);
  CHECK(std::isinf(ss.log_density(5.0)));
}

TEST_CASE("steady_state_1d bad input throws the documented types") {
  fig4 f;
  sc::constant_diffusion D(1e-3, 1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, 0.1, nan, 1.0), sc::invalid_argument);
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, 0.1, 1.0, 1.0), sc::invalid_argument);   // empty
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, 0.1, 2.0, -1.0), sc::invalid_argument);  // reversed
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, 0.0, -1.0, 1.0), sc::domain_error);
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, -0.1, -1.0, 1.0), sc::domain_error);
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, nan, -1.0, 1.0), sc::invalid_argument);
  auto dlin = [](const auto& x) { return 0.01 + 0.002 * x(0); };  // ≤ 0 for θ ≤ −5
  sc::scalar_field_diffusion Dlin{dlin};
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, Dlin, 0.1, -6.0, 4.0), sc::domain_error);
  sc::constant_diffusion D2(1e-3, 2);
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D2, 0.1, -1.0, 1.0), sc::invalid_argument);
  sc::steady_state_1d_options o;
  o.scan_points = 2;
  CHECK_THROWS_AS(sc::steady_state_1d(f.U, D, 0.1, -1.0, 1.0, o), sc::invalid_argument);
  const sc::steady_state_1d ok(f.U, D, 0.1, -1.0, 1.0);
  CHECK_THROWS_AS((void)ok.potential(nan), sc::invalid_argument);
  CHECK_THROWS_AS((void)ok.potential(3.0), sc::invalid_argument);
  CHECK_THROWS_AS((void)ok.density(nan), sc::invalid_argument);
}

TEST_CASE("steady_state_1d takes U's value in every 1-D form, and any 1-D diffusion (closed forms)") {
  // U = ½k(θ − a)², D = c on [a − 12σ, a + 12σ] with σ² = Tc/(2k): a Gaussian truncated where
  // its tail is e^{−72}, so E[θ] = a and E[U] = kσ²/2 = Tc/4 exactly to rounding.  For constant
  // D the library's v is exact (no quadrature); the expectations are Gauss–Kronrod integrals
  // to 1e-12: tolerance 1e-10 relative.
  const double k = 2.0, a = 0.3, c = 0.5, T = 0.2;
  const double sigma = std::sqrt(T * c / (2 * k)), lo = a - 12 * sigma, hi = a + 12 * sigma;
  auto generic = [&](auto x) { return 0.5 * k * (x - a) * (x - a); };  // U' by dual numbers
  auto plain = [&](double x) { return 0.5 * k * (x - a) * (x - a); };   // U' by finite differences
  auto check = [&](const sc::steady_state_1d& ss, const char* what) {
    INFO(what);
    REQUIRE(ss.status() == sc::status::success);
    CHECK(rel(ss.expected_loss(generic).value, T * c / 4) < 1e-10);
    CHECK(std::abs(ss.expectation([](double t) { return t; }).value - a) < 1e-10 * sigma);
    REQUIRE(ss.basins().size() == 1);
    CHECK(std::abs(ss.basins()[0].minimum - a) < 1e-8);  // the root of U' (FD: ~1e-10)
  };
  check(sc::steady_state_1d(generic, sc::constant_diffusion(c, 1), T, lo, hi), "generic lambda, constant_diffusion");
  check(sc::steady_state_1d(plain, sc::constant_diffusion(c, 1), T, lo, hi), "plain lambda, constant_diffusion");
  check(sc::steady_state_1d(generic, [&](double) { return c; }, T, lo, hi), "generic lambda, callable D");

  // Position-dependent D through a callable: B.1 case 1, U = u₀ + ½hθ² and D = U, for which
  // ρ ∝ U^{−(1 + 2/T)} (THEORY.md, B.1).  The SAME lambda is the loss and the diffusion; D'
  // comes from dual numbers.  Reference: E[θ²] by the test's own Gauss–Kronrod quadrature.
  const double u0 = 0.5, h = 2.0, T1 = 0.3;
  auto Ub = [&](auto x) { return u0 + 0.5 * h * x * x; };
  const sc::steady_state_1d ss(Ub, Ub, T1, -3.0, 3.0);
  REQUIRE(ss.status() == sc::status::success);
  auto w = [&](double x) { return std::pow(u0 + 0.5 * h * x * x, -(1 + 2 / T1)); };
  using gk = boost::math::quadrature::gauss_kronrod<double, 61>;
  const double z = gk::integrate(w, -3.0, 3.0, 15, 1e-14);
  const double m2 = gk::integrate([&](double x) { return x * x * w(x); }, -3.0, 3.0, 15, 1e-14) / z;
  CHECK(rel(ss.expectation([](double t) { return t * t; }).value, m2) < 1e-9);
}

TEST_CASE("steady_state_1d: bad input messages name steady_state_1d") {
  fig4 f;
  CHECK_THROWS_WITH_AS(sc::steady_state_1d(f.U, sc::constant_diffusion(1e-3, 1), 0.0, -1.0, 1.0),
                       doctest::Contains("shiftcurv::steady_state_1d: T must be > 0"), sc::domain_error);
  CHECK_THROWS_WITH_AS(sc::steady_state_1d(f.U, sc::constant_diffusion(1e-3, 2), 0.1, -1.0, 1.0),
                       doctest::Contains("shiftcurv::steady_state_1d: the diffusion model must be 1-D"),
                       sc::invalid_argument);
  CHECK_THROWS_WITH_AS(sc::steady_state_1d(f.U, [](double x) { return x; }, 0.1, -1.0, 1.0),
                       doctest::Contains("shiftcurv::steady_state_1d: D(theta) must be > 0"), sc::domain_error);
}
