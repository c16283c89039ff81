// shiftcurv/core/dual.hpp — forward-mode dual numbers, nestable for second derivatives.
//
//   using shiftcurv::dual;
//   dual<double> x{2.0, 1.0};                 // x = 2, dx = 1
//   auto y = exp(x) * x;                       // y.value() = 2e², y.tangent() = 3e²
//   dual<dual<double>> z{{2.0, 1.0}, {1.0, 0.0}};
//   auto w = z * z * z;                        // w.tangent().tangent() = d²/dx² x³ = 12
//
// A user loss templated on its scalar (`template <class S> S operator()(const
// Eigen::Matrix<S,N,1>&) const`) is differentiated exactly with these: gradient with p
// first-order passes, Hessian-vector products with p second-order passes (nested duals),
// the Hessian with p(p+1)/2 second-order passes.  Eigen knows the type through the
// NumTraits specialization below, and it mixes with double in Eigen expressions.
//
// It lives in core/ (not derivatives/) because the loss concepts detect "templated on its
// scalar" by calling the functor with a vector of duals.
#pragma once

#include <cmath>
#include <concepts>
#include <ostream>
#include <type_traits>

#include <Eigen/Core>

namespace shiftcurv {

template <class T>
class dual;

namespace detail {
template <class T>
struct is_dual : std::false_type {};
template <class T>
struct is_dual<dual<T>> : std::true_type {};
}  // namespace detail

template <class T>
inline constexpr bool is_dual_v = detail::is_dual<std::remove_cvref_t<T>>::value;

/// The plain value underneath any nesting of duals (double for dual<dual<double>>).
template <class T>
constexpr auto value_of(const T& x) {
  if constexpr (is_dual_v<T>)
    return value_of(x.value());
  else
    return x;
}

/// A dual number a + b·ε with ε² = 0: `value()` is a, `tangent()` is the directional
/// derivative b.  T may itself be a dual (second order).
template <class T>
class dual {
 public:
  using value_type = T;
  constexpr dual() = default;
  // Implicit from the underlying scalar and from plain numbers: constants have zero tangent.
  constexpr dual(const T& v) : v_(v), d_(T(0)) {}  // NOLINT(google-explicit-constructor)
  template <class A>
    requires(std::is_arithmetic_v<A> && !std::is_same_v<A, T>)
  constexpr dual(A v) : v_(T(v)), d_(T(0)) {}  // NOLINT(google-explicit-constructor)
  constexpr dual(const T& v, const T& d) : v_(v), d_(d) {}

  constexpr const T& value() const { return v_; }
  constexpr const T& tangent() const { return d_; }
  constexpr T& value() { return v_; }
  constexpr T& tangent() { return d_; }

  constexpr dual& operator+=(const dual& o) { v_ += o.v_; d_ += o.d_; return *this; }
  constexpr dual& operator-=(const dual& o) { v_ -= o.v_; d_ -= o.d_; return *this; }
  constexpr dual& operator*=(const dual& o) { d_ = d_ * o.v_ + v_ * o.d_; v_ *= o.v_; return *this; }
  constexpr dual& operator/=(const dual& o) {
    const T inv = T(1) / o.v_;
    v_ *= inv;
    d_ = (d_ - v_ * o.d_) * inv;
    return *this;
  }
  constexpr dual operator-() const { return dual(-v_, -d_); }
  constexpr dual operator+() const { return *this; }

 private:
  T v_{};
  T d_{};
};

// ---- arithmetic: dual ∘ dual, dual ∘ T, T ∘ dual, dual ∘ arithmetic ----------------------
#define SHIFTCURV_DUAL_BINARY(OP, OPEQ)                                                 \
  template <class T>                                                                    \
  constexpr dual<T> operator OP(dual<T> a, const dual<T>& b) { return a OPEQ b; }       \
  template <class T, class U>                                                           \
    requires(std::is_convertible_v<U, dual<T>> && !std::is_same_v<U, dual<T>>)          \
  constexpr dual<T> operator OP(dual<T> a, const U& b) { return a OPEQ dual<T>(b); }    \
  template <class T, class U>                                                           \
    requires(std::is_convertible_v<U, dual<T>> && !std::is_same_v<U, dual<T>>)          \
  constexpr dual<T> operator OP(const U& a, const dual<T>& b) { return dual<T>(a) OPEQ b; }
SHIFTCURV_DUAL_BINARY(+, +=)
SHIFTCURV_DUAL_BINARY(-, -=)
SHIFTCURV_DUAL_BINARY(*, *=)
SHIFTCURV_DUAL_BINARY(/, /=)
#undef SHIFTCURV_DUAL_BINARY

// Comparisons look at the value only (branching code is differentiated piecewise).
#define SHIFTCURV_DUAL_COMPARE(OP)                                                          \
  template <class T>                                                                        \
  constexpr bool operator OP(const dual<T>& a, const dual<T>& b) { return value_of(a) OP value_of(b); } \
  template <class T, class U>                                                               \
    requires(!is_dual_v<U>)                                                                 \
  constexpr bool operator OP(const dual<T>& a, const U& b) { return value_of(a) OP value_of(b); } \
  template <class T, class U>                                                               \
    requires(!is_dual_v<U>)                                                                 \
  constexpr bool operator OP(const U& a, const dual<T>& b) { return value_of(a) OP value_of(b); }
SHIFTCURV_DUAL_COMPARE(<)
SHIFTCURV_DUAL_COMPARE(>)
SHIFTCURV_DUAL_COMPARE(<=)
SHIFTCURV_DUAL_COMPARE(>=)
SHIFTCURV_DUAL_COMPARE(==)
SHIFTCURV_DUAL_COMPARE(!=)
#undef SHIFTCURV_DUAL_COMPARE

template <class T>
std::ostream& operator<<(std::ostream& os, const dual<T>& x) {
  return os << '(' << x.value() << " + " << x.tangent() << "ε)";
}

// ---- elementary functions (chain rule: f(a + bε) = f(a) + f'(a) b ε) ------------------------
// Unqualified calls inside find std:: for double and these overloads (ADL) for duals, so
// the same definitions nest to any order.
namespace dual_math {
using std::atan; using std::cos; using std::cosh; using std::erf; using std::exp;
using std::log; using std::log1p; using std::expm1; using std::pow; using std::sin;
using std::sinh; using std::sqrt; using std::tanh; using std::abs; using std::tan;
}  // namespace dual_math

#define SHIFTCURV_DUAL_UNARY(NAME, DERIV)                   \
  template <class T>                                        \
  dual<T> NAME(const dual<T>& x) {                          \
    using namespace dual_math;                              \
    const T& a = x.value();                                 \
    return dual<T>(NAME(a), (DERIV) * x.tangent());         \
  }
SHIFTCURV_DUAL_UNARY(exp, exp(a))
SHIFTCURV_DUAL_UNARY(log, T(1) / a)
SHIFTCURV_DUAL_UNARY(log1p, T(1) / (T(1) + a))
SHIFTCURV_DUAL_UNARY(expm1, exp(a))
SHIFTCURV_DUAL_UNARY(sqrt, T(0.5) / sqrt(a))
SHIFTCURV_DUAL_UNARY(sin, cos(a))
SHIFTCURV_DUAL_UNARY(cos, -sin(a))
SHIFTCURV_DUAL_UNARY(tan, T(1) + tan(a) * tan(a))
SHIFTCURV_DUAL_UNARY(sinh, cosh(a))
SHIFTCURV_DUAL_UNARY(cosh, sinh(a))
SHIFTCURV_DUAL_UNARY(tanh, T(1) - tanh(a) * tanh(a))
SHIFTCURV_DUAL_UNARY(atan, T(1) / (T(1) + a * a))
SHIFTCURV_DUAL_UNARY(erf, T(1.1283791670955126) * exp(-a * a))  // 2/√π e^{−a²}
#undef SHIFTCURV_DUAL_UNARY

template <class T>
dual<T> abs(const dual<T>& x) { return value_of(x) < 0 ? -x : x; }
template <class T>
dual<T> abs2(const dual<T>& x) { return x * x; }
template <class T>
dual<T> square(const dual<T>& x) { return x * x; }

/// x^p for a constant exponent.
template <class T, class P>
  requires(!is_dual_v<P>)
dual<T> pow(const dual<T>& x, const P& p) {
  using namespace dual_math;
  const T a = x.value();
  return dual<T>(pow(a, T(p)), T(p) * pow(a, T(p) - T(1)) * x.tangent());
}
/// x^y with both dual: exp(y log x).
template <class T>
dual<T> pow(const dual<T>& x, const dual<T>& y) { return exp(y * log(x)); }

template <class T>
bool isfinite(const dual<T>& x) { using std::isfinite; return isfinite(value_of(x)); }
template <class T>
bool isnan(const dual<T>& x) { using std::isnan; return isnan(value_of(x)); }

}  // namespace shiftcurv

// ---- Eigen integration ------------------------------------------------------------------------
namespace Eigen {
template <class T>
struct NumTraits<shiftcurv::dual<T>> : NumTraits<T> {
  using Real = shiftcurv::dual<T>;
  using NonInteger = shiftcurv::dual<T>;
  using Nested = shiftcurv::dual<T>;
  using Literal = shiftcurv::dual<T>;
  enum {
    IsComplex = 0, IsInteger = 0, IsSigned = 1, RequireInitialization = 1,
    ReadCost = 2 * NumTraits<T>::ReadCost, AddCost = 2 * NumTraits<T>::AddCost,
    MulCost = 3 * NumTraits<T>::MulCost + NumTraits<T>::AddCost
  };
};
// dual ∘ double inside Eigen expressions (e.g. `theta - mean` with a double mean).
template <class T, typename BinOp>
struct ScalarBinaryOpTraits<shiftcurv::dual<T>, double, BinOp> { using ReturnType = shiftcurv::dual<T>; };
template <class T, typename BinOp>
struct ScalarBinaryOpTraits<double, shiftcurv::dual<T>, BinOp> { using ReturnType = shiftcurv::dual<T>; };
}  // namespace Eigen
