// python/src/network.cpp — the library's network-scale algorithms on a per-sample loss whose
// members are a Python object's (python_batched_loss, common.hpp; e.g. shiftcurv.torch.TorchLoss):
// top eigenpairs (Lanczos), Hutchinson traces, the spectral density (SLQ) of ∇²U or of D, the
// Lyapunov covariance in the top-k span, L-BFGS, SGD with the library's reproducible minibatch
// indices, the line protocol with the App F fits, the eq-4 terms at network scale and the
// flat-direction variance.  The C++ algorithms run unchanged; nothing p×p is formed.
#include <shiftcurv/curvature/hutchinson.hpp>
#include <shiftcurv/curvature/lanczos.hpp>
#include <shiftcurv/curvature/linear_operator.hpp>
#include <shiftcurv/curvature/spectral_density.hpp>
#include <shiftcurv/dynamics/sgd.hpp>
#include <shiftcurv/generalization/stationary_covariance.hpp>
#include <shiftcurv/noise/gradient_covariance.hpp>
#include <shiftcurv/optimize/lbfgs.hpp>
#include <shiftcurv/random/philox.hpp>
#include <shiftcurv/studies/flat_direction_variance.hpp>
#include <shiftcurv/studies/line_protocol.hpp>
#include <shiftcurv/studies/loss_terms.hpp>

#include "common.hpp"

namespace shiftcurv_python {

namespace {

using loss_t = python_batched_loss;

void check_theta(std::string_view fn, const loss_t& L, const vector& theta, std::string_view name = "theta") {
  shiftcurv::require_size(fn, name, theta.size(), L.p);
  shiftcurv::require_finite(fn, name, theta);
}

/// The operator named by `which`, type-erased so that each algorithm is compiled once:
/// "hessian" (∇²U·x, mean HVPs) or "diffusion" (D·x, the per-sample gradients' covariance).
struct any_operator {
  index n = 0;
  std::function<void(const vector&, vector&)> f;
  index size() const { return n; }
  void apply(const vector& x, vector& y) const { f(x, y); }
};
static_assert(shiftcurv::symmetric_operator<any_operator>);

any_operator named_operator(std::string_view fn, const std::string& which, const loss_t& L, const vector& theta) {
  check_theta(fn, L, theta);
  if (which == "hessian") {
    auto op = std::make_shared<const shiftcurv::hessian_operator<loss_t>>(L, theta);
    return {L.p, [op](const vector& x, vector& y) { op->apply(x, y); }};
  }
  if (which == "diffusion") {
    auto op = std::make_shared<const shiftcurv::diffusion_operator<shiftcurv::gradient_covariance<loss_t>>>(
        shiftcurv::gradient_covariance<loss_t>{L}, theta);
    return {L.p, [op](const vector& x, vector& y) { op->apply(x, y); }};
  }
  shiftcurv::detail::throw_invalid(fn, "operator must be 'hessian' or 'diffusion', got '", which, "'");
}

}  // namespace

void bind_network(nb::module_& m) {
  nb::class_<loss_t>(m, "BatchedLoss",
      "A per-sample loss whose members are a Python object's (num_samples, dimension, value, gradient,\n"
      "mean_value, mean_gradient, value_and_gradient, sample_gradients, mean_hvp, covariance_apply,\n"
      "covariance_trace, covariance_divergence, minibatch_gradient): the library's algorithms call them.")
      .def(nb::init<nb::object>(), nb::arg("obj"))
      .def_prop_ro("num_samples", &loss_t::num_samples)
      .def_prop_ro("dimension", &loss_t::dimension)
      .def_prop_ro("obj", [](const loss_t& l) { return *l.obj; });

  m.def("top_eigenpairs",
        [](const loss_t& L, const vector& theta, index k, const std::string& op, const nb::kwargs& kw) {
          const auto o = options_from<shiftcurv::top_eigenpairs_options>("top_eigenpairs", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::top_eigenpairs(named_operator("top_eigenpairs", op, L, theta), k, o);
        },
        nb::arg("loss"), nb::arg("theta"), nb::arg("k"), nb::arg("operator") = "hessian", nb::arg("options"));
  m.def("hutchinson_trace",
        [](const loss_t& L, const vector& theta, const std::string& op, const nb::kwargs& kw) {
          const auto o = options_from<shiftcurv::hutchinson_trace_options>("hutchinson_trace", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::hutchinson_trace(named_operator("hutchinson_trace", op, L, theta), o);
        },
        nb::arg("loss"), nb::arg("theta"), nb::arg("operator") = "hessian", nb::arg("options"));
  m.def("spectral_density",
        [](const loss_t& L, const vector& theta, const std::string& op, const nb::kwargs& kw) {
          const auto o = options_from<shiftcurv::spectral_density_options>("spectral_density", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::spectral_density(named_operator("spectral_density", op, L, theta), o);
        },
        nb::arg("loss"), nb::arg("theta"), nb::arg("operator") = "hessian", nb::arg("options"));
  m.def("lyapunov_covariance",
        [](const loss_t& L, const vector& theta, double T, const nb::kwargs& kw) {
          const auto o = options_from<shiftcurv::lyapunov_covariance_options>("lyapunov_covariance", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::lyapunov_covariance(named_operator("lyapunov_covariance", "hessian", L, theta),
                                                named_operator("lyapunov_covariance", "diffusion", L, theta), T, o);
        },
        nb::arg("loss"), nb::arg("theta"), nb::arg("T"), nb::arg("options"));
  m.def("dense_lyapunov", [](const matrix& H, const matrix& D, double T) { return shiftcurv::dense_lyapunov(H, D, T); },
        nb::arg("H"), nb::arg("D"), nb::arg("T"), release_gil());
  m.def("minimize_lbfgs",
        [](const loss_t& L, const vector& theta0, const nb::kwargs& kw) {
          const auto o = options_from<shiftcurv::minimize_lbfgs_options>("minimize_lbfgs", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::minimize_lbfgs(L, theta0, o);
        },
        nb::arg("loss"), nb::arg("theta0"), nb::arg("options"));
  m.def("sgd_iterates",
        [](const loss_t& L, const vector& theta0, const shiftcurv::sgd_options& sgd, const shiftcurv::sgd_record_options& rec) {
          nb::gil_scoped_release nogil;
          return shiftcurv::sgd_iterates(L, theta0, sgd, rec);
        },
        nb::arg("loss"), nb::arg("theta0"), nb::arg("sgd"), nb::arg("record"));
  m.def("line_protocol",
        [](const loss_t& train, const loss_t& test, const vector& theta_sgd, const shiftcurv::line_protocol_options& o) {
          nb::gil_scoped_release nogil;
          return shiftcurv::line_protocol(train, test, theta_sgd, o);
        },
        nb::arg("train"), nb::arg("test"), nb::arg("theta_sgd"), nb::arg("options"));
  m.def("run_protocol",
        [](const loss_t& train, const loss_t& test, const vector& theta0, const shiftcurv::line_protocol_options& o,
           std::uint64_t seed) {
          nb::gil_scoped_release nogil;
          return shiftcurv::run_protocol(train, test, theta0, o, seed);
        },
        nb::arg("train"), nb::arg("test"), nb::arg("theta0"), nb::arg("options"), nb::arg("seed"));
  m.def("test_loss_terms",
        [](const loss_t& train, const loss_t& test, const vector& theta_tr, const vector& theta_test,
           const shiftcurv::sgd_options& sgd, const shiftcurv::test_loss_terms_options& o) {
          nb::gil_scoped_release nogil;
          return shiftcurv::test_loss_terms(train, test, theta_tr, theta_test, sgd, o);
        },
        nb::arg("train"), nb::arg("test"), nb::arg("theta_tr"), nb::arg("theta_test"), nb::arg("sgd"), nb::arg("options"));
  m.def("flat_direction_variance",
        [](const loss_t& data, const vector& theta_star, const shiftcurv::sgd_options& sgd,
           const shiftcurv::flat_direction_variance_options& o) {
          nb::gil_scoped_release nogil;
          return shiftcurv::flat_direction_variance(data, theta_star, sgd, o);
        },
        nb::arg("loss"), nb::arg("theta_star"), nb::arg("sgd"), nb::arg("options"));
  // The minibatch rows the library's SGD draws at steps 0..steps−1 of (seed, trajectory) — the
  // sgd_stepper's own draws (a loss that records them), so a Python loop can reproduce it.
  m.def("sgd_minibatches",
        [](index num_samples, const shiftcurv::sgd_options& sgd, std::uint64_t seed, std::uint64_t trajectory, index steps) {
          struct recorder {
            index n;
            mutable std::vector<index> rows;
            index num_samples() const { return n; }
            void minibatch_gradient(const vector& th, const std::vector<index>& r, vector& g) const {
              rows.insert(rows.end(), r.begin(), r.end());
              g = vector::Zero(th.size());
            }
          };
          if (steps < 0) shiftcurv::detail::throw_invalid("sgd_minibatches", "steps must be >= 0, got ", steps);
          recorder rec{num_samples, {}};
          shiftcurv::sgd_options o = sgd;
          o.alpha = 0;
          o.beta = 0;
          shiftcurv::sgd_stepper<recorder> stepper(rec, o, shiftcurv::philox_noise(seed, trajectory));
          vector th = vector::Zero(1);
          for (index s = 0; s < steps; ++s) stepper.step(th);
          Eigen::Matrix<index, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> out(steps, sgd.batch_size);
          std::copy(rec.rows.begin(), rec.rows.end(), out.data());
          return out;
        },
        nb::arg("num_samples"), nb::arg("sgd"), nb::arg("seed"), nb::arg("trajectory") = 0, nb::arg("steps"));
}

}  // namespace shiftcurv_python
