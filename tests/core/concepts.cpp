// Every concept accepts what it should and rejects what it should (mp-units style).
#include <doctest/doctest.h>

#include <string>

#include "shiftcurv/core/concepts.hpp"
#include "shiftcurv/noise/constant.hpp"
#include "shiftcurv/noise/gradient_covariance.hpp"
#include "shiftcurv/synthetic/gaussian_wells.hpp"
#include "shiftcurv/synthetic/quadratic.hpp"

namespace sc = shiftcurv;

namespace {
struct value_only {
  double operator()(const Eigen::VectorXd& th) const { return th.squaredNorm(); }
};
struct templated {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th) const { return th.squaredNorm(); }
};
struct templated_fixed2 {
  template <class Derived>
  typename Derived::Scalar operator()(const Eigen::MatrixBase<Derived>& th) const { return th(0) * th(1); }
};
struct with_gradient {
  double operator()(const Eigen::VectorXd& th) const { return th.squaredNorm(); }
  Eigen::VectorXd gradient(const Eigen::VectorXd& th) const { return 2 * th; }
};
struct with_all {
  double operator()(const Eigen::VectorXd& th) const { return th.squaredNorm(); }
  Eigen::VectorXd gradient(const Eigen::VectorXd& th) const { return 2 * th; }
  Eigen::MatrixXd hessian(const Eigen::VectorXd& th) const { return 2 * Eigen::MatrixXd::Identity(th.size(), th.size()); }
  Eigen::VectorXd hvp(const Eigen::VectorXd&, const Eigen::VectorXd& v) const { return 2 * v; }
};
struct returns_vector {
  Eigen::VectorXd operator()(const Eigen::VectorXd& th) const { return th; }
};
struct takes_string {
  double operator()(const std::string&) const { return 0; }
};
struct gradient_wrong_type {
  double operator()(const Eigen::VectorXd& th) const { return th.sum(); }
  std::string gradient(const Eigen::VectorXd&) const { return ""; }
};
struct per_sample {
  sc::index num_samples() const { return 3; }
  double value(const Eigen::VectorXd& th, sc::index i) const { return double(i) * th.sum(); }
  void gradient(const Eigen::VectorXd& th, sc::index i, Eigen::VectorXd& g) const {
    g = Eigen::VectorXd::Constant(th.size(), double(i));
  }
};
struct per_sample_with_hessian : per_sample {
  void hessian(const Eigen::VectorXd& th, sc::index, Eigen::MatrixXd& H) const { H.setZero(th.size(), th.size()); }
};
struct per_sample_no_count {
  double value(const Eigen::VectorXd& th, sc::index) const { return th.sum(); }
  void gradient(const Eigen::VectorXd&, sc::index, Eigen::VectorXd&) const {}
};
struct not_a_model {
  Eigen::MatrixXd matrix(const Eigen::VectorXd& th) const { return Eigen::MatrixXd::Identity(th.size(), th.size()); }
};
}  // namespace

// ---- loss_function -----------------------------------------------------------------------
static_assert(sc::loss_function<value_only>, "a functor returning double from a vector is a loss");
static_assert(sc::loss_function<templated>);
static_assert(sc::loss_function<templated_fixed2, Eigen::Vector2d>, "fixed-size vectors work");
static_assert(sc::loss_function<sc::gaussian_wells_1d>);
static_assert(sc::loss_function<sc::quadratic>);
static_assert(!sc::loss_function<returns_vector>, "a loss must return a scalar");
static_assert(!sc::loss_function<takes_string>, "a loss takes an Eigen vector");
static_assert(!sc::loss_function<int>);
// ---- scalar_templated_loss (automatic differentiation possible) -----------------------------
static_assert(sc::scalar_templated_loss<templated>);
static_assert(sc::scalar_templated_loss<templated_fixed2, Eigen::Vector2d>);
static_assert(sc::scalar_templated_loss<sc::gaussian_wells_1d>);
static_assert(sc::scalar_templated_loss<sc::double_well>);
static_assert(!sc::scalar_templated_loss<value_only>, "a double-only functor cannot be differentiated by AD");
static_assert(!sc::scalar_templated_loss<with_gradient>);
// ---- optional derivative members -----------------------------------------------------------
static_assert(sc::has_gradient<with_gradient> && !sc::has_hessian<with_gradient> && !sc::has_hvp<with_gradient>);
static_assert(sc::has_gradient<with_all> && sc::has_hessian<with_all> && sc::has_hvp<with_all>);
static_assert(sc::has_gradient<sc::gaussian_wells_1d> && sc::has_hessian<sc::gaussian_wells_1d>);
static_assert(!sc::has_gradient<value_only> && !sc::has_gradient<templated>);
static_assert(!sc::has_gradient<gradient_wrong_type>, "a gradient must be a vector");
// ---- per_sample_loss -----------------------------------------------------------------------
static_assert(sc::per_sample_loss<per_sample> && !sc::has_sample_hessian<per_sample>);
static_assert(sc::has_sample_hessian<per_sample_with_hessian>);
static_assert(!sc::per_sample_loss<per_sample_no_count>, "num_samples() is required");
static_assert(!sc::per_sample_loss<value_only>);
static_assert(!sc::loss_function<per_sample>, "a per-sample loss is not itself a loss functor");
// ---- diffusion_model -----------------------------------------------------------------------
static_assert(sc::diffusion_model<sc::constant_diffusion> && sc::has_diffusion_apply<sc::constant_diffusion>);
static_assert(sc::diffusion_model<sc::gradient_covariance<per_sample>>);
static_assert(!sc::diffusion_model<not_a_model>, "a model needs divergence and noise_factor");
static_assert(!sc::diffusion_model<value_only>);

// ---- optional dimension() ------------------------------------------------------------------
static_assert(sc::has_dimension<sc::constant_diffusion> && !sc::has_dimension<value_only>);

TEST_CASE("require_dimension checks a declared dimension and ignores functors without one") {
  const sc::constant_diffusion iso(1.0, 3);
  CHECK_NOTHROW(sc::require_dimension("f", "theta", iso, 3));
  CHECK_THROWS_WITH_AS(sc::require_dimension("f", "theta", iso, 2),
                       "shiftcurv::f: theta has size 2, but the loss (or diffusion model) declares dimension() = 3",
                       sc::invalid_argument);
  CHECK_NOTHROW(sc::require_dimension("f", "theta", value_only{}, 7));
}
