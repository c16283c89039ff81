// python/src/module.cpp — the extension module shiftcurv._shiftcurv: exceptions, enums, the
// option and result structs (generated: structs.inc), and the bindings of the other
// translation units.  The pure-Python package (python/shiftcurv/) re-exports it.
#include <nanobind/stl/tuple.h>

#include <shiftcurv/basins/gaussian_mixture.hpp>
#include <shiftcurv/basins/steady_state_1d.hpp>
#include <shiftcurv/curvature/hutchinson.hpp>
#include <shiftcurv/curvature/lanczos.hpp>
#include <shiftcurv/curvature/spectral_density.hpp>
#include <shiftcurv/dynamics/langevin_1d.hpp>
#include <shiftcurv/dynamics/sgd.hpp>
#include <shiftcurv/fokker_planck/fokker_planck_1d.hpp>
#include <shiftcurv/fokker_planck/fokker_planck_2d.hpp>
#include <shiftcurv/generalization/decomposition.hpp>
#include <shiftcurv/generalization/line_curvature.hpp>
#include <shiftcurv/generalization/shift.hpp>
#include <shiftcurv/generalization/stationary_covariance.hpp>
#include <shiftcurv/optimize/find_minimum.hpp>
#include <shiftcurv/optimize/lbfgs.hpp>
#include <shiftcurv/potential/effective_potential.hpp>
#include <shiftcurv/studies/covariance_curvature.hpp>
#include <shiftcurv/studies/expected_test_loss.hpp>
#include <shiftcurv/studies/flat_direction_variance.hpp>
#include <shiftcurv/studies/line_protocol.hpp>
#include <shiftcurv/studies/loss_terms.hpp>

#include "common.hpp"

namespace shiftcurv_python {

void bind_structs(nb::module_& m) {
  nb::enum_<shiftcurv::status>(m, "Status", "shiftcurv::status (core/status.hpp), best to worst")
      .value("success", shiftcurv::status::success)
      .value("max_iterations", shiftcurv::status::max_iterations)
      .value("tolerance_not_met", shiftcurv::status::tolerance_not_met)
      .value("not_converged", shiftcurv::status::not_converged)
      .value("numerical_issue", shiftcurv::status::numerical_issue)
      .value("assumption_violated", shiftcurv::status::assumption_violated);
  m.def("is_failure", &shiftcurv::is_failure, nb::arg("status"),
        "numerical_issue, not_converged, max_iterations: the value is not usable (flags are not failures)");
  nb::enum_<shiftcurv::spectrum_end>(m, "SpectrumEnd")
      .value("largest_algebraic", shiftcurv::spectrum_end::largest_algebraic)
      .value("largest_magnitude", shiftcurv::spectrum_end::largest_magnitude)
      .value("smallest_algebraic", shiftcurv::spectrum_end::smallest_algebraic);
  nb::enum_<shiftcurv::probe_distribution>(m, "ProbeDistribution")
      .value("rademacher", shiftcurv::probe_distribution::rademacher)
      .value("gaussian", shiftcurv::probe_distribution::gaussian);
  nb::enum_<shiftcurv::minibatch_sampling>(m, "MinibatchSampling")
      .value("with_replacement", shiftcurv::minibatch_sampling::with_replacement)
      .value("without_replacement", shiftcurv::minibatch_sampling::without_replacement);
  nb::enum_<shiftcurv::sde_scheme>(m, "SdeScheme")
      .value("euler_maruyama", shiftcurv::sde_scheme::euler_maruyama)
      .value("milstein", shiftcurv::sde_scheme::milstein)
      .value("weak_order2", shiftcurv::sde_scheme::weak_order2);
  nb::enum_<shiftcurv::line_rule>(m, "LineRule")
      .value("automatic", shiftcurv::line_rule::automatic)
      .value("gauss_kronrod", shiftcurv::line_rule::gauss_kronrod)
      .value("tanh_sinh", shiftcurv::line_rule::tanh_sinh);

#include "structs.inc"

  // Methods of the results, beyond their fields.
  cls_spectral_density_result
      .def("density", &shiftcurv::spectral_density_result::density, nb::arg("grid"), nb::arg("sigma"),
           "the broadened density (normalised to 1) at each grid point")
      .def("moment", &shiftcurv::spectral_density_result::moment, nb::arg("j"), "≈ tr(A^j)/p")
      .def("moment_standard_error", &shiftcurv::spectral_density_result::moment_standard_error, nb::arg("j"));
  cls_lyapunov_covariance_result
      .def("apply", &shiftcurv::lyapunov_covariance_result::apply, nb::arg("x"), "Σx = Q S Qᵀx")
      .def("variance_along", &shiftcurv::lyapunov_covariance_result::variance_along, nb::arg("u"), "uᵀΣu")
      .def("dense", &shiftcurv::lyapunov_covariance_result::dense, "Σ = Q S Qᵀ as a p×p array (small p)");
  cls_sgd_options.def_prop_ro("temperature", &shiftcurv::sgd_options::temperature, "T = λ/B");
  // Every result: truthiness is success, and a short repr.
  auto status_repr = [](const shiftcurv::result_base& r) {
    return std::string("<shiftcurv result: ") + std::string(shiftcurv::to_string(r.status)) +
           (r.message.empty() ? "" : ": " + r.message.substr(0, 200)) + ">";
  };
  cls_result_base.def("__bool__", [](const shiftcurv::result_base& r) { return r.status == shiftcurv::status::success; })
      .def("__repr__", status_repr);
}

}  // namespace shiftcurv_python

NB_MODULE(_shiftcurv, m) {
  using namespace shiftcurv_python;
  m.doc() = "shiftcurv's C++ library (header-only C++20) from Python: see the package shiftcurv";
  // Losses and diffusions hold the user's Python callables from C++, where Python's garbage
  // collector cannot see them; what is still referenced at interpreter exit is not a leak.
  nb::set_leak_warnings(false);

  // The library's exceptions: invalid_argument → InvalidArgument (ValueError); domain_error
  // (T ≤ 0, D not positive definite, …) → DomainError (ValueError and ArithmeticError); a
  // std::runtime_error from the library (e.g. run_protocol's SGD diverging) → NumericalError
  // (ArithmeticError).  Each carries the library's message, which names the function.
  static nb::object invalid = nb::steal(PyErr_NewExceptionWithDoc(
      "shiftcurv.InvalidArgument", "Bad input to a shiftcurv function (sizes, NaN/Inf, options); the message names the function.",
      PyExc_ValueError, nullptr));
  static nb::object domain = nb::steal(PyErr_NewExceptionWithDoc(
      "shiftcurv.DomainError", "A value outside the mathematical domain (T <= 0, D not positive definite, ...).",
      nb::make_tuple(nb::handle(PyExc_ValueError), nb::handle(PyExc_ArithmeticError)).ptr(), nullptr));
  static nb::object numerical = nb::steal(PyErr_NewExceptionWithDoc(
      "shiftcurv.NumericalError", "A computation that cannot go on (e.g. SGD diverged); the message says where.",
      PyExc_ArithmeticError, nullptr));
  m.attr("InvalidArgument") = invalid;
  m.attr("DomainError") = domain;
  m.attr("NumericalError") = numerical;
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const shiftcurv::invalid_argument& e) {
      PyErr_SetString(invalid.ptr(), e.what());
    } catch (const shiftcurv::domain_error& e) {
      PyErr_SetString(domain.ptr(), e.what());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(invalid.ptr(), e.what());
    } catch (const std::domain_error& e) {
      PyErr_SetString(domain.ptr(), e.what());
    } catch (const std::runtime_error& e) {
      PyErr_SetString(numerical.ptr(), e.what());
    }
  });

  bind_structs(m);
  bind_explicit(m);
  bind_network(m);
}
