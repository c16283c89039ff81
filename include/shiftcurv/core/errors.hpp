// shiftcurv/core/errors.hpp — the exception types and the argument checks every entry
// point shares.
//
//   try { shiftcurv::gradient(loss, theta); }
//   catch (const shiftcurv::invalid_argument& e) { /* size mismatch, NaN/Inf input */ }
//   catch (const shiftcurv::domain_error& e)     { /* T <= 0, D not positive definite */ }
//
// Caller mistakes throw; numerical non-convergence never throws: it is a `status` in the
// result struct (core/status.hpp).  Every message starts with the fully qualified function
// name and names the offending value, e.g.
//   "shiftcurv::effective_potential: T must be > 0, got -0.5".
#pragma once

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include <Eigen/Core>

namespace shiftcurv {

/// A malformed argument: sizes that disagree, NaN/Inf, empty ranges.
class invalid_argument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// An argument outside the mathematical domain: T <= 0, a diffusion matrix that is not
/// positive definite where the theory needs it, D <= 0 on an interval.
class domain_error : public std::domain_error {
 public:
  using std::domain_error::domain_error;
};

namespace detail {

template <class... Parts>
std::string message(std::string_view function, const Parts&... parts) {
  std::ostringstream os;
  os.precision(17);
  os << "shiftcurv::" << function << ": ";
  (os << ... << parts);
  return os.str();
}

template <class... Parts>
[[noreturn]] void throw_invalid(std::string_view function, const Parts&... parts) {
  throw invalid_argument(message(function, parts...));
}

template <class... Parts>
[[noreturn]] void throw_domain(std::string_view function, const Parts&... parts) {
  throw domain_error(message(function, parts...));
}

/// Runs `body()`; a shiftcurv::invalid_argument or domain_error thrown by an internal call that
/// names another function is re-thrown with the public function `fn` named first
/// ("shiftcurv::fn: find_potential_minimum: D(theta) must be ...").
template <class F>
decltype(auto) as_called_by(std::string_view fn, F&& body) {
  auto rename = [fn](const char* what) {
    const std::string w = what, own = "shiftcurv::" + std::string(fn) + ":";
    if (w.rfind(own, 0) == 0) return w;
    const std::string_view prefix = "shiftcurv::";
    return own + " " + (w.rfind(prefix, 0) == 0 ? w.substr(prefix.size()) : w);
  };
  try {
    return body();
  } catch (const invalid_argument& e) {
    throw invalid_argument(rename(e.what()));
  } catch (const domain_error& e) {
    throw domain_error(rename(e.what()));
  }
}

}  // namespace detail

/// Throws invalid_argument unless x is finite.
inline void require_finite(std::string_view function, std::string_view name, double x) {
  if (!std::isfinite(x)) detail::throw_invalid(function, name, " must be finite, got ", x);
}

/// Throws invalid_argument unless every entry of the Eigen object is finite.
template <class Derived>
void require_finite(std::string_view function, std::string_view name,
                    const Eigen::DenseBase<Derived>& x) {
  for (Eigen::Index j = 0; j < x.cols(); ++j)
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
      const double xi = static_cast<double>(x(i, j));
      if (!std::isfinite(xi)) {
        if (x.cols() == 1)
          detail::throw_invalid(function, name, " must be finite, entry ", i, " is ", xi);
        detail::throw_invalid(function, name, " must be finite, entry (", i, ",", j, ") is ", xi);
      }
    }
}

/// Throws invalid_argument unless `size == expected`.
inline void require_size(std::string_view function, std::string_view name, Eigen::Index size,
                         Eigen::Index expected) {
  if (size != expected)
    detail::throw_invalid(function, name, " has size ", size, ", expected ", expected);
}

/// Throws invalid_argument when `f` declares a dimension (an optional `dimension()` member,
/// core/concepts.hpp) and θ's size differs from it; does nothing for functors without one.
template <class F>
void require_dimension(std::string_view function, std::string_view name, const F& f, Eigen::Index size) {
  if constexpr (requires { { f.dimension() } -> std::convertible_to<Eigen::Index>; }) {
    const auto p = static_cast<Eigen::Index>(f.dimension());
    if (size != p)
      detail::throw_invalid(function, name, " has size ", size, ", but the loss (or diffusion model) declares dimension() = ", p);
  }
}

/// Throws domain_error unless the temperature is finite and > 0.
inline void require_temperature(std::string_view function, double T) {
  if (!std::isfinite(T)) detail::throw_invalid(function, "T must be finite, got ", T);
  if (!(T > 0)) detail::throw_domain(function, "T must be > 0, got ", T);
}

/// Throws domain_error unless x > 0 (and invalid_argument if x is not finite).
inline void require_positive(std::string_view function, std::string_view name, double x) {
  require_finite(function, name, x);
  if (!(x > 0)) detail::throw_domain(function, name, " must be > 0, got ", x);
}

}  // namespace shiftcurv
