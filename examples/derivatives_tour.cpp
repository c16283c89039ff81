// derivatives_tour — write a loss functor, get ∇U, ∇²U, D, ∇·D and the drift V from it.
//
//   ./derivatives_tour
#include <iostream>

#include <shiftcurv/shiftcurv.hpp>

// The loss: a 2-D double well with a tilt, templated on its scalar so the library
// differentiates it exactly (dual numbers).  No derivative is written by hand.
struct tilted_double_well {
  template <class S>
  S operator()(const Eigen::Matrix<S, Eigen::Dynamic, 1>& th) const {
    const S x = th(0), y = th(1);
    return S(0.25) * x * x * x * x - S(0.5) * x * x + S(0.1) * x + S(0.5) * y * y;
  }
};

int main() {
  namespace sc = shiftcurv;
  tilted_double_well U;
  // Isotropic noise that grows with the loss: D(θ) = (1 + U(θ))·I.
  sc::scalar_field_diffusion D{[](const auto& th) { return 1.0 + tilted_double_well{}(th); }};

  Eigen::VectorXd theta(2);
  theta << 0.8, -0.3;
  std::cout << "route of the gradient: " << sc::to_string(sc::gradient_route<tilted_double_well>) << "\n";
  std::cout << "U(theta)      = " << sc::value(U, theta) << "\n";
  std::cout << "grad U        = " << sc::gradient(U, theta).transpose() << "\n";
  std::cout << "Hessian U     =\n" << sc::hessian(U, theta) << "\n";
  std::cout << "D(theta)      =\n" << sc::diffusion_matrix(D, theta) << "\n";
  std::cout << "div D(theta)  = " << sc::divergence(D, theta).transpose() << "  (= grad U)\n";
  // Everything that also needs a temperature takes (loss, noise, T, theta, options).
  const double T = 0.1;
  std::cout << "V(theta, T)   = " << sc::potential_gradient(U, D, T, theta).transpose() << "\n";
  std::cout << "curl-free?    " << sc::to_string(sc::curl_diagnostic(U, D, T, theta).status) << "\n";
  return 0;
}
