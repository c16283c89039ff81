// Fixtures of the curvature tests: a tiny two-layer tanh regression network as a per-sample
// loss, synthetic symmetric matrices with a chosen spectrum, and the dense references.
#pragma once

#include <cmath>
#include <cstdint>
#include <vector>

#include <Eigen/Dense>

#include <shiftcurv/core/types.hpp>
#include <shiftcurv/derivatives/derivatives.hpp>
#include <shiftcurv/random/probes.hpp>

namespace curv_test {

namespace sc = shiftcurv;

/// Q diag(lambda) Qᵀ with Q orthogonal from the QR factorization of a Gaussian matrix drawn
/// from the library's probe streams (reproducible).
inline sc::matrix with_spectrum(const sc::vector& lambda, std::uint64_t seed) {
  const sc::index p = lambda.size();
  sc::matrix G(p, p);
  for (sc::index j = 0; j < p; ++j)
    G.col(j) = sc::random_probe(p, seed, static_cast<std::uint64_t>(j), sc::probe_distribution::gaussian);
  const sc::matrix Q = Eigen::HouseholderQR<sc::matrix>(G).householderQ();
  sc::matrix A = Q * lambda.asDiagonal() * Q.transpose();
  return 0.5 * (A + A.transpose());
}

/// U(x_i, θ) = ½ (f(x_i; θ) − y_i)², f(x; θ) = w2ᵀ tanh(W1 x + b1) + b2, with
/// θ = [W1 row-major (h·d), b1 (h), w2 (h), b2 (1)]: the layers are the blocks
/// [0, h·d), [h·d, h·d + h), [h·d + h, h·d + 2h), [h·d + 2h, p).
/// gradient: back-propagation written out by hand; hvp: forward-over-forward dual numbers
/// through shiftcurv::hvp of one sample's scalar-templated loss (exact to rounding).
struct tiny_net {
  sc::matrix X;  // N×d inputs
  sc::vector y;  // N targets
  sc::index h = 4;

  sc::index d() const { return X.cols(); }
  sc::index dimension() const { return h * d() + 2 * h + 1; }
  sc::index num_samples() const { return X.rows(); }

  template <class S>
  S sample_value(const Eigen::Matrix<S, -1, 1>& th, sc::index i) const {
    using std::tanh;
    S f = th(h * d() + 2 * h);
    for (sc::index j = 0; j < h; ++j) {
      S z = th(h * d() + j);
      for (sc::index k = 0; k < d(); ++k) z += th(j * d() + k) * X(i, k);
      f += th(h * d() + h + j) * tanh(z);
    }
    const S r = f - y(i);
    return 0.5 * r * r;
  }

  struct one_sample {
    const tiny_net* net;
    sc::index i;
    template <class S>
    S operator()(const Eigen::Matrix<S, -1, 1>& th) const { return net->sample_value(th, i); }
  };

  double value(const sc::vector& th, sc::index i) const { return sample_value(th, i); }
  void gradient(const sc::vector& th, sc::index i, sc::vector& g) const {
    g.setZero(dimension());
    double f = th(h * d() + 2 * h);
    sc::vector a(h);
    for (sc::index j = 0; j < h; ++j) {
      double z = th(h * d() + j);
      for (sc::index k = 0; k < d(); ++k) z += th(j * d() + k) * X(i, k);
      a(j) = std::tanh(z);
      f += th(h * d() + h + j) * a(j);
    }
    const double r = f - y(i);
    g(h * d() + 2 * h) = r;
    for (sc::index j = 0; j < h; ++j) {
      g(h * d() + h + j) = r * a(j);
      const double delta = r * th(h * d() + h + j) * (1 - a(j) * a(j));
      g(h * d() + j) = delta;
      for (sc::index k = 0; k < d(); ++k) g(j * d() + k) = delta * X(i, k);
    }
  }
  void hvp(const sc::vector& th, sc::index i, const sc::vector& v, sc::vector& out) const {
    out = sc::hvp(one_sample{this, i}, th, v);
  }
};

/// The mean loss of tiny_net as a scalar-templated functor (the dense reference Hessian comes
/// from nested duals through shiftcurv::hessian, a different route from the HVPs above).
struct tiny_net_mean {
  const tiny_net* net;
  std::vector<sc::index> rows;  // the samples averaged over
  template <class S>
  S operator()(const Eigen::Matrix<S, -1, 1>& th) const {
    S s(0.0);
    for (sc::index i : rows) s += net->sample_value(th, i);
    return s / static_cast<double>(rows.size());
  }
};

/// A net with N = 12 samples, d = 3, h = 4 (p = 21), data from the probe streams.
inline tiny_net make_net(sc::index n = 12) {
  tiny_net net;
  net.X.resize(n, 3);
  net.y.resize(n);
  for (sc::index i = 0; i < n; ++i) {
    net.X.row(i) = sc::random_probe(3, 101, static_cast<std::uint64_t>(i), sc::probe_distribution::gaussian).transpose();
    net.y(i) = std::sin(2 * net.X(i, 0)) + 0.5 * net.X(i, 1) * net.X(i, 2);
  }
  return net;
}

/// A generic point (not a minimum: the Hessian is indefinite there).
inline sc::vector net_point(const tiny_net& net) {
  return sc::random_probe(net.dimension(), 202, 0, sc::probe_distribution::gaussian);
}

inline std::vector<sc::index> all_rows(const tiny_net& net) {
  std::vector<sc::index> r;
  for (sc::index i = 0; i < net.num_samples(); ++i) r.push_back(i);
  return r;
}

/// Dense D of the rows `rows` (repeats count), written as (1/n) Σ g gᵀ − ḡ ḡᵀ — a different
/// algebra from the library's centred factor.
inline sc::matrix dense_D(const tiny_net& net, const sc::vector& th, const std::vector<sc::index>& rows) {
  const sc::index p = net.dimension();
  sc::matrix S = sc::matrix::Zero(p, p);
  sc::vector mean = sc::vector::Zero(p), g(p);
  for (sc::index i : rows) {
    net.gradient(th, i, g);
    S += g * g.transpose();
    mean += g;
  }
  const double n = static_cast<double>(rows.size());
  mean /= n;
  return S / n - mean * mean.transpose();
}

/// Eigenvalues of a dense symmetric matrix, descending.
inline sc::vector descending_eigenvalues(const sc::matrix& A) {
  const sc::vector ev = Eigen::SelfAdjointEigenSolver<sc::matrix>(A, Eigen::EigenvaluesOnly).eigenvalues();
  return ev.reverse();
}

}  // namespace curv_test
