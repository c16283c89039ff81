// python/src/common.hpp — what the binding translation units share: nanobind, the NumPy
// conversions, and the two loss types through which the library's C++ algorithms run on
// Python objects:
//
//   explicit_loss / explicit_diffusion   a loss U(θ) (value, optional gradient and Hessian) and
//       a diffusion model D(θ) (matrix, optional divergence) as std::functions: the library's
//       ready families (their analytic members) or a user's Python callables (each call takes
//       the GIL).  Missing derivatives are sixth-order central differences (Boost.Math).
//   python_batched_loss   a per-sample loss whose members call a Python object (e.g.
//       shiftcurv.torch.TorchLoss): num_samples, value(θ, i), gradient(θ, i) and the batched
//       members mean_value, mean_gradient, sample_gradients, mean_hvp, covariance_apply,
//       covariance_trace, covariance_divergence, minibatch_gradient, value_and_gradient.  The
//       library's concepts detect them, so Lanczos, Hutchinson, SLQ, the Lyapunov covariance,
//       L-BFGS, SGD and the studies run unchanged and nothing p×p is formed.
//
// Every function bound releases the GIL while it runs (nb::call_guard<nb::gil_scoped_release>);
// each call back into Python takes it again (gil_scoped_acquire), so a Python error raised
// there travels through the C++ algorithm as nb::python_error and reaches the caller intact.
#pragma once

#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nanobind/nanobind.h>
#include <nanobind/eigen/dense.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/function.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <boost/math/differentiation/finite_difference.hpp>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include <shiftcurv/core/concepts.hpp>
#include <shiftcurv/core/errors.hpp>
#include <shiftcurv/core/types.hpp>

namespace shiftcurv_python {

namespace nb = nanobind;
using shiftcurv::index;
using shiftcurv::matrix;
using shiftcurv::vector;

using release_gil = nb::call_guard<nb::gil_scoped_release>;

/// A read-only NumPy view of θ for the duration of one call into Python (no copy).
inline nb::object numpy_view(const vector& x) {
  std::size_t shape[1] = {static_cast<std::size_t>(x.size())};
  nb::ndarray<nb::numpy, const double, nb::ndim<1>> a(x.data(), 1, shape, nb::handle());
  return nb::cast(a, nb::rv_policy::reference);
}

/// A fresh NumPy array holding a copy of x (what Python may keep).
inline nb::object numpy_copy(const vector& x) { return nb::cast(vector(x)); }

/// A Python object (float, NumPy scalar or size-1 array) as a double, naming `what` on failure.
inline double to_double(const nb::handle& h, const std::string& what) {
  const double d = PyFloat_AsDouble(h.ptr());
  if (d == -1.0 && PyErr_Occurred()) {
    PyErr_Clear();
    throw shiftcurv::invalid_argument("shiftcurv: " + what + " must return a number, got " +
                                      nb::cast<std::string>(nb::str(nb::type_name(h.type()))));
  }
  return d;
}

/// A Python object convertible to a float64 vector (NumPy array, list, torch CPU tensor) of size n.
inline vector to_vector(const nb::handle& h, index n, const std::string& what) {
  vector out;
  try {  // nanobind's cast throws std::bad_cast (or cast_error) when it cannot convert
    out = nb::cast<vector>(h);
  } catch (const std::exception&) {
    nb::object arr = nb::module_::import_("numpy").attr("ascontiguousarray")(h, "float64").attr("reshape")(-1);
    out = nb::cast<vector>(arr);
  }
  if (n >= 0 && out.size() != n)
    throw shiftcurv::invalid_argument("shiftcurv: " + what + " returned " + std::to_string(out.size()) +
                                      " numbers, expected " + std::to_string(n));
  return out;
}

inline matrix to_matrix(const nb::handle& h, index rows, index cols, const std::string& what) {
  matrix out;
  try {
    out = nb::cast<matrix>(h);
  } catch (const std::exception&) {
    nb::object arr = nb::module_::import_("numpy").attr("asfortranarray")(h, "float64");
    if (nb::cast<int>(arr.attr("ndim")) != 2)
      throw shiftcurv::invalid_argument("shiftcurv: " + what + " must return a 2-D array");
    out = nb::cast<matrix>(arr);
  }
  if ((rows >= 0 && out.rows() != rows) || (cols >= 0 && out.cols() != cols))
    throw shiftcurv::invalid_argument("shiftcurv: " + what + " returned a " + std::to_string(out.rows()) + "×" +
                                      std::to_string(out.cols()) + " array, expected " + std::to_string(rows) +
                                      "×" + std::to_string(cols));
  return out;
}

/// Options built field by field from keyword arguments (an unknown name: TypeError naming fn).
template <class Options>
Options options_from(const char* fn, const nb::kwargs& kw) {
  Options o{};
  nb::object py = nb::cast(o);
  for (auto [k, v] : kw) {
    if (!nb::hasattr(py, k))
      throw nb::type_error((std::string(fn) + "() got an unexpected option '" + nb::cast<std::string>(nb::str(k)) + "'").c_str());
    nb::setattr(py, k, v);
  }
  return nb::cast<Options>(py);
}

// ---- explicit losses and diffusions ---------------------------------------------------------

/// ∂f/∂θ_j at θ by Boost.Math's sixth-order central difference (error ~ε^{6/7}·scale: the
/// adaptive quadratures of the steady state and the line integrals converge on such
/// derivatives, not on second-order ones, whose ~1e-11 noise they keep refining).
template <class F>
auto partial(const F& f, const vector& th, index j) {
  vector x = th;
  auto along = [&](double t) {
    x(j) = t;
    return f(x);
  };
  return boost::math::differentiation::finite_difference_derivative<decltype(along), double, 6>(along, th(j));
}

/// U(θ) on R^p with members the library uses as is (derivatives/derivatives.hpp picks the
/// `gradient`/`hessian` members): the user's (or a ready family's analytic ones), else sixth-
/// order central differences (of the value for ∇U, of ∇U for ∇²U, symmetrized).
struct explicit_loss {
  index p = 0;
  std::string name;
  std::function<double(const vector&)> value_fn;
  std::function<vector(const vector&)> gradient_fn;  ///< empty: differences of the value
  std::function<matrix(const vector&)> hessian_fn;   ///< empty: differences of the gradient

  index dimension() const { return p; }
  double operator()(const vector& th) const { return value_fn(th); }
  vector gradient(const vector& th) const {
    if (gradient_fn) return gradient_fn(th);
    vector g(p);
    for (index j = 0; j < p; ++j) g(j) = partial(value_fn, th, j);
    return g;
  }
  matrix hessian(const vector& th) const {
    if (hessian_fn) return hessian_fn(th);
    matrix H(p, p);
    for (index j = 0; j < p; ++j) {
      for (index i = 0; i < p; ++i)
        H(i, j) = partial([this, i](const vector& y) { return gradient(y)(i); }, th, j);
    }
    return 0.5 * (H + H.transpose());
  }
};
static_assert(shiftcurv::loss_function<explicit_loss>);
static_assert(shiftcurv::has_gradient<explicit_loss> && shiftcurv::has_hessian<explicit_loss>);

/// D(θ) (p×p, symmetric positive definite where the algorithms need it), ∇·D and F = chol(D).
struct explicit_diffusion {
  index p = 0;
  std::string name;
  std::function<Eigen::MatrixXd(const vector&)> matrix_fn;
  std::function<vector(const vector&)> divergence_fn;  ///< empty: central differences of D

  index dimension() const { return p; }
  Eigen::MatrixXd matrix(const vector& th) const { return matrix_fn(th); }
  vector divergence(const vector& th) const {
    if (divergence_fn) return divergence_fn(th);
    // (∇·D)_i = Σ_j ∂_j D_ij, each by a sixth-order central difference (see partial).
    vector div = vector::Zero(p);
    for (index j = 0; j < p; ++j)
      for (index i = 0; i < p; ++i) div(i) += partial([this, i, j](const vector& y) { return matrix_fn(y)(i, j); }, th, j);
    return div;
  }
  Eigen::MatrixXd noise_factor(const vector& th) const {
    const Eigen::MatrixXd D = matrix_fn(th);
    Eigen::LLT<Eigen::MatrixXd> llt(D);
    if (llt.info() != Eigen::Success)
      shiftcurv::detail::throw_domain("shiftcurv.Diffusion(" + name + ").noise_factor",
                                      "D(theta) is not positive definite");
    return llt.matrixL();
  }
  vector apply(const vector& th, const vector& v) const { return matrix_fn(th) * v; }
};
static_assert(shiftcurv::diffusion_model<explicit_diffusion>);

// ---- a per-sample loss whose members are a Python object's methods --------------------------

/// Calls into `obj` (see the header comment); sizes are checked on every return so that a
/// model returning the wrong shape is an error naming the member, never a silent resize.
struct python_batched_loss {
  std::shared_ptr<nb::object> obj;  // shared: copies of the loss (operators hold one) share it
  index n = 0, p = 0;
  bool has_accuracy = false;

  explicit python_batched_loss(nb::object o) {
    nb::gil_scoped_acquire gil;
    obj = std::shared_ptr<nb::object>(new nb::object(std::move(o)), [](nb::object* x) {
      nb::gil_scoped_acquire g;
      delete x;
    });
    n = nb::cast<index>((*obj).attr("num_samples")());
    p = nb::cast<index>((*obj).attr("dimension")());
    has_accuracy = nb::hasattr(*obj, "accuracy");
  }

  index num_samples() const { return n; }
  index dimension() const { return p; }

  double value(const vector& th, index i) const {
    nb::gil_scoped_acquire gil;
    return to_double((*obj).attr("value")(numpy_view(th), i), "value(theta, i)");
  }
  void gradient(const vector& th, index i, vector& g) const {
    nb::gil_scoped_acquire gil;
    g = to_vector((*obj).attr("gradient")(numpy_view(th), i), p, "gradient(theta, i)");
  }
  double mean_value(const vector& th) const {
    nb::gil_scoped_acquire gil;
    return to_double((*obj).attr("mean_value")(numpy_view(th)), "mean_value(theta)");
  }
  vector mean_gradient(const vector& th) const {
    nb::gil_scoped_acquire gil;
    return to_vector((*obj).attr("mean_gradient")(numpy_view(th)), p, "mean_gradient(theta)");
  }
  double value_and_gradient(const vector& th, vector& g) const {
    nb::gil_scoped_acquire gil;
    nb::object r = (*obj).attr("value_and_gradient")(numpy_view(th));
    nb::tuple t = nb::cast<nb::tuple>(r);
    g = to_vector(t[1], p, "value_and_gradient(theta)[1]");
    return to_double(t[0], "value_and_gradient(theta)[0]");
  }
  shiftcurv::matrix sample_gradients(const vector& th) const {
    nb::gil_scoped_acquire gil;
    return to_matrix((*obj).attr("sample_gradients")(numpy_view(th)), n, p, "sample_gradients(theta)");
  }
  vector mean_hvp(const vector& th, const vector& v) const {
    nb::gil_scoped_acquire gil;
    return to_vector((*obj).attr("mean_hvp")(numpy_view(th), numpy_view(v)), p, "mean_hvp(theta, v)");
  }
  vector covariance_apply(const vector& th, const vector& v) const {
    nb::gil_scoped_acquire gil;
    return to_vector((*obj).attr("covariance_apply")(numpy_view(th), numpy_view(v)), p, "covariance_apply(theta, v)");
  }
  double covariance_trace(const vector& th) const {
    nb::gil_scoped_acquire gil;
    return to_double((*obj).attr("covariance_trace")(numpy_view(th)), "covariance_trace(theta)");
  }
  vector covariance_divergence(const vector& th) const {
    nb::gil_scoped_acquire gil;
    return to_vector((*obj).attr("covariance_divergence")(numpy_view(th)), p, "covariance_divergence(theta)");
  }
  /// The object's accuracy(θ) when it has one (the line protocol reports it), else NaN.
  double accuracy(const vector& th) const {
    if (!has_accuracy) return std::numeric_limits<double>::quiet_NaN();
    nb::gil_scoped_acquire gil;
    return to_double((*obj).attr("accuracy")(numpy_view(th)), "accuracy(theta)");
  }
  void minibatch_gradient(const vector& th, const std::vector<index>& rows, vector& g) const {
    nb::gil_scoped_acquire gil;
    std::size_t shape[1] = {rows.size()};
    nb::ndarray<nb::numpy, const index, nb::ndim<1>> r(rows.data(), 1, shape, nb::handle());
    g = to_vector((*obj).attr("minibatch_gradient")(numpy_view(th), nb::cast(r, nb::rv_policy::reference)), p,
                  "minibatch_gradient(theta, rows)");
  }
};
static_assert(shiftcurv::per_sample_loss<python_batched_loss>);
static_assert(shiftcurv::batched_per_sample_loss<python_batched_loss>);
static_assert(shiftcurv::has_batched_covariance<python_batched_loss> &&
              shiftcurv::has_batched_covariance_divergence<python_batched_loss> &&
              shiftcurv::has_batched_sample_gradients<python_batched_loss> &&
              shiftcurv::has_minibatch_gradient<python_batched_loss>);

// ---- registration, one function per translation unit ---------------------------------------
void bind_structs(nb::module_& m);
void bind_explicit(nb::module_& m);
void bind_synthetic(nb::module_& m);
void bind_network(nb::module_& m);

}  // namespace shiftcurv_python
