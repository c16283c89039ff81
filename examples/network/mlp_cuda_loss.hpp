// examples/network/mlp_cuda_loss.hpp — the CUDA backend (mlp_cuda) behind the members of the
// CPU backend network::mlp_loss, on Eigen vectors, so that code can take either backend.
//
//   shiftcurv_examples::network::mlp_cuda_loss gpu(shape, train, 1e-3);        // mlp_shape, labeled_data
//   Eigen::VectorXd g = gpu.mean_gradient(theta);
//   Eigen::VectorXd Dv = gpu.covariance_apply(theta, v);
//
// Members as mlp_loss: num_samples, dimension, mean_value, mean_gradient (ℓ2 included),
// sample_gradients (N × p, row i = g_iᵀ, cross-entropy + αθ), minibatch_gradient, mean_hvp, covariance_apply (D·v),
// covariance_trace; plus accuracy and backend() (the mlp_cuda, for the device-resident
// interface).  θ or v of another size than dimension(), or with a non-finite entry, throws
// std::invalid_argument naming the member (`mlp_cuda_loss::mean_gradient: theta[3] ...`).
// The members are const, as the CPU backend's, but they use the device buffers of one
// mlp_cuda: one object must not be used from two threads at once.
//
// Only Eigen/Core and mlp_cuda.hpp are included (no CUDA header); link shiftcurv_mlp_cuda.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "mlp_cuda.hpp"

namespace shiftcurv_examples::network {

class mlp_cuda_loss {
 public:
  /// widths = {n_0, ..., n_L}; features n_0 × N (column j = sample j); N labels in [0, n_L).
  mlp_cuda_loss(const std::vector<Eigen::Index>& widths, const Eigen::MatrixXd& features,
                const std::vector<int>& labels, double alpha,
                cuda_precision precision = cuda_precision::float64)
      : backend_(checked_widths(widths, features, labels), features.data(), labels.data(),
                 static_cast<long>(features.cols()), alpha, precision) {}

  /// From the CPU side's own types: a shape with `.widths` (e.g. mlp_shape) and a data set
  /// with `.features` and `.labels` (e.g. labeled_data).
  template <class Shape, class Data>
    requires requires(const Shape& s, const Data& d) {
      s.widths;
      d.features;
      d.labels;
    }
  mlp_cuda_loss(const Shape& shape, const Data& data, double alpha,
                cuda_precision precision = cuda_precision::float64)
      : mlp_cuda_loss(std::vector<Eigen::Index>(shape.widths.begin(), shape.widths.end()),
                      data.features, data.labels, alpha, precision) {}

  Eigen::Index num_samples() const { return backend_.num_samples(); }
  Eigen::Index dimension() const { return backend_.dimension(); }

  double mean_value(const Eigen::VectorXd& theta) const {
    check("mlp_cuda_loss::mean_value", theta, "theta");
    return backend_.mean_value(theta.data());
  }

  Eigen::VectorXd mean_gradient(const Eigen::VectorXd& theta) const {
    check("mlp_cuda_loss::mean_gradient", theta, "theta");
    Eigen::VectorXd out(dimension());
    backend_.mean_gradient(theta.data(), out.data());
    return out;
  }

  Eigen::MatrixXd sample_gradients(const Eigen::VectorXd& theta) const {
    check("mlp_cuda_loss::sample_gradients", theta, "theta");
    Eigen::MatrixXd G(num_samples(), dimension());
    backend_.sample_gradients(theta.data(), G.data());
    return G;
  }

  /// g ← (1/|rows|) Σ_k g_{rows[k]} (ℓ2 term included), SGD's minibatch: the chosen rows of G
  /// by sample_gradient_rows, summed on the host (B × p copied back per call).
  void minibatch_gradient(const Eigen::VectorXd& theta, const std::vector<Eigen::Index>& rows,
                          Eigen::VectorXd& g) const {
    check("mlp_cuda_loss::minibatch_gradient", theta, "theta");
    if (rows.empty()) throw std::invalid_argument("mlp_cuda_loss::minibatch_gradient: the minibatch is empty");
    std::vector<long> r(rows.begin(), rows.end());
    for (long i : r)
      if (i < 0 || i >= num_samples()) {
        std::ostringstream s;
        s << "mlp_cuda_loss::minibatch_gradient: sample index " << i << " is outside [0, " << num_samples() << ")";
        throw std::invalid_argument(s.str());
      }
    batch_rows_.resize(static_cast<Eigen::Index>(r.size()), dimension());
    backend_.sample_gradient_rows(theta.data(), r.data(), static_cast<long>(r.size()), batch_rows_.data());
    g = batch_rows_.colwise().mean().transpose();
  }

  Eigen::VectorXd mean_hvp(const Eigen::VectorXd& theta, const Eigen::VectorXd& v) const {
    check("mlp_cuda_loss::mean_hvp", theta, "theta");
    check("mlp_cuda_loss::mean_hvp", v, "v");
    Eigen::VectorXd out(dimension());
    backend_.mean_hvp(theta.data(), v.data(), out.data());
    return out;
  }

  Eigen::VectorXd covariance_apply(const Eigen::VectorXd& theta, const Eigen::VectorXd& v) const {
    check("mlp_cuda_loss::covariance_apply", theta, "theta");
    check("mlp_cuda_loss::covariance_apply", v, "v");
    Eigen::VectorXd out(dimension());
    backend_.covariance_apply(theta.data(), v.data(), out.data());
    return out;
  }

  double covariance_trace(const Eigen::VectorXd& theta) const {
    check("mlp_cuda_loss::covariance_trace", theta, "theta");
    return backend_.covariance_trace(theta.data());
  }

  double accuracy(const Eigen::VectorXd& theta) const {
    check("mlp_cuda_loss::accuracy", theta, "theta");
    return backend_.accuracy(theta.data());
  }

  mlp_cuda& backend() const { return backend_; }

 private:
  mutable mlp_cuda backend_;
  mutable Eigen::MatrixXd batch_rows_;

  static std::vector<long> checked_widths(const std::vector<Eigen::Index>& widths,
                                          const Eigen::MatrixXd& features,
                                          const std::vector<int>& labels) {
    if (widths.empty() || features.rows() != widths.front() ||
        static_cast<Eigen::Index>(labels.size()) != features.cols()) {
      std::ostringstream s;
      s << "mlp_cuda_loss: features must be widths[0] × N with N labels, got "
        << features.rows() << " × " << features.cols() << " features, " << labels.size()
        << " labels, widths[0] = " << (widths.empty() ? Eigen::Index(0) : widths.front());
      throw std::invalid_argument(s.str());
    }
    return std::vector<long>(widths.begin(), widths.end());
  }

  /// θ and v as the CPU backend takes them: dimension() entries, all finite (a NaN would
  /// reach the device and come back as a NaN result far from its cause).
  void check(const char* fn, const Eigen::VectorXd& x, const char* name) const {
    std::ostringstream s;
    if (x.size() != dimension()) {
      s << fn << ": " << name << " must have dimension() = " << dimension() << " entries, got " << x.size();
      throw std::invalid_argument(s.str());
    }
    for (Eigen::Index k = 0; k < x.size(); ++k)
      if (!std::isfinite(x[k])) {
        s << fn << ": " << name << "[" << k << "] is not finite, got " << x[k];
        throw std::invalid_argument(s.str());
      }
  }
};

}  // namespace shiftcurv_examples::network
