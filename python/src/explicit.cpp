// python/src/explicit.cpp — explicit losses from NumPy: the ready families, a user's Python
// callables, and the 1-D / 2-D pipeline on them (effective potential, exact 1-D steady state,
// Gaussian-mixture weights, the test-loss prediction, the Fokker–Planck steady states).
#include <array>

#include <nanobind/stl/array.h>
#include <nanobind/stl/shared_ptr.h>

#include <shiftcurv/basins/gaussian_mixture.hpp>
#include <shiftcurv/basins/steady_state_1d.hpp>
#include <shiftcurv/derivatives/derivatives.hpp>
#include <shiftcurv/fokker_planck/fokker_planck_1d.hpp>
#include <shiftcurv/fokker_planck/fokker_planck_2d.hpp>
#include <shiftcurv/noise/constant.hpp>
#include <shiftcurv/noise/diffusion.hpp>
#include <shiftcurv/optimize/find_minimum.hpp>
#include <shiftcurv/potential/effective_potential.hpp>
#include <shiftcurv/studies/expected_test_loss.hpp>
#include <shiftcurv/synthetic/closed_forms.hpp>
#include <shiftcurv/synthetic/gaussian_wells.hpp>
#include <shiftcurv/synthetic/quadratic.hpp>

#include "common.hpp"

namespace shiftcurv_python {

namespace {

/// A Python object kept alive by C++ copies without touching its reference count off the GIL.
std::shared_ptr<nb::object> hold(nb::object o) {
  return {new nb::object(std::move(o)), [](nb::object* x) {
            nb::gil_scoped_acquire g;
            delete x;
          }};
}

/// A library loss functor as an explicit_loss: its value, and gradient/Hessian by the library's
/// own routes (analytic members, automatic differentiation, or differences, as in C++).
template <class U>
explicit_loss from_library_loss(U u, index p, std::string name) {
  auto f = std::make_shared<const U>(std::move(u));
  explicit_loss l;
  l.p = p;
  l.name = std::move(name);
  l.value_fn = [f](const vector& th) { return static_cast<double>((*f)(th)); };
  l.gradient_fn = [f](const vector& th) { return vector(shiftcurv::gradient(*f, th)); };
  l.hessian_fn = [f](const vector& th) { return matrix(shiftcurv::hessian(*f, th)); };
  return l;
}

template <class M>
explicit_diffusion from_library_diffusion(M d, index p, std::string name) {
  auto f = std::make_shared<const M>(std::move(d));
  explicit_diffusion out;
  out.p = p;
  out.name = std::move(name);
  out.matrix_fn = [f](const vector& th) { return shiftcurv::diffusion_matrix(*f, th); };
  out.divergence_fn = [f](const vector& th) { return shiftcurv::divergence(*f, th); };
  return out;
}

/// A user's callables as a loss: value(θ) → float; gradient(θ) → (p,); hessian(θ) → (p, p).
explicit_loss from_callables(nb::object value, index p, nb::object gradient, nb::object hessian, std::string name) {
  if (p < 1) throw shiftcurv::invalid_argument("shiftcurv.Loss: dimension must be >= 1, got " + std::to_string(p));
  if (!PyCallable_Check(value.ptr())) throw shiftcurv::invalid_argument("shiftcurv.Loss: value must be callable");
  explicit_loss l;
  l.p = p;
  l.name = name;
  auto v = hold(std::move(value));
  l.value_fn = [v, name](const vector& th) {
    nb::gil_scoped_acquire gil;
    return to_double((*v)(numpy_copy(th)), "the loss '" + name + "' value(theta)");
  };
  if (!gradient.is_none()) {
    auto g = hold(std::move(gradient));
    l.gradient_fn = [g, p, name](const vector& th) {
      nb::gil_scoped_acquire gil;
      return to_vector((*g)(numpy_copy(th)), p, "the loss '" + name + "' gradient(theta)");
    };
  }
  if (!hessian.is_none()) {
    auto h = hold(std::move(hessian));
    l.hessian_fn = [h, p, name](const vector& th) {
      nb::gil_scoped_acquire gil;
      return to_matrix((*h)(numpy_copy(th)), p, p, "the loss '" + name + "' hessian(theta)");
    };
  }
  return l;
}

explicit_diffusion diffusion_from_callables(nb::object matrix_fn, index p, nb::object divergence, std::string name) {
  if (p < 1) throw shiftcurv::invalid_argument("shiftcurv.Diffusion: dimension must be >= 1, got " + std::to_string(p));
  if (!PyCallable_Check(matrix_fn.ptr())) throw shiftcurv::invalid_argument("shiftcurv.Diffusion: matrix must be callable");
  explicit_diffusion d;
  d.p = p;
  d.name = name;
  auto m = hold(std::move(matrix_fn));
  d.matrix_fn = [m, p, name](const vector& th) {
    nb::gil_scoped_acquire gil;
    nb::object r = (*m)(numpy_copy(th));
    if (p == 1)  // a number (float, NumPy scalar, 1×1 or size-1 array)
      return shiftcurv::matrix::Constant(1, 1, to_double(r, "the diffusion '" + name + "' matrix(theta)")).eval();
    return to_matrix(r, p, p, "the diffusion '" + name + "' matrix(theta)");
  };
  if (!divergence.is_none()) {
    auto g = hold(std::move(divergence));
    d.divergence_fn = [g, p, name](const vector& th) {
      nb::gil_scoped_acquire gil;
      return to_vector((*g)(numpy_copy(th)), p, "the diffusion '" + name + "' divergence(theta)");
    };
  }
  return d;
}

template <class F>
void require_same_dimension(std::string_view fn, const explicit_loss& a, const F& b, std::string_view what) {
  if (a.p != b.p)
    shiftcurv::detail::throw_invalid(fn, "the loss has dimension ", a.p, " but ", what, " has ", b.p);
}

}  // namespace

void bind_explicit(nb::module_& m) {
  nb::class_<explicit_loss>(m, "Loss",
      "A loss U(θ) on R^p for the explicit pipeline: Loss(value, dimension, gradient=None, hessian=None, name='loss').\n"
      "value(θ) -> float, gradient(θ) -> (p,), hessian(θ) -> (p, p); θ is a float64 NumPy array of shape (p,).\n"
      "Missing derivatives are finite differences (the library's rules).  The ready families (gaussian_wells_1d, ...)\n"
      "return Loss objects whose members are the library's analytic ones.")
      .def("__init__",
           [](explicit_loss* self, nb::object value, index dimension, nb::object gradient, nb::object hessian,
              std::string name) { new (self) explicit_loss(from_callables(std::move(value), dimension, std::move(gradient), std::move(hessian), std::move(name))); },
           nb::arg("value"), nb::arg("dimension"), nb::arg("gradient") = nb::none(), nb::arg("hessian") = nb::none(),
           nb::arg("name") = "loss")
      .def_ro("dimension", &explicit_loss::p)
      .def_ro("name", &explicit_loss::name)
      .def("__call__", [](const explicit_loss& l, const vector& th) {
             shiftcurv::require_size("Loss.__call__", "theta", th.size(), l.p);
             return l(th); }, nb::arg("theta"))
      .def("gradient", [](const explicit_loss& l, const vector& th) {
             shiftcurv::require_size("Loss.gradient", "theta", th.size(), l.p);
             return l.gradient(th); }, nb::arg("theta"))
      .def("hessian", [](const explicit_loss& l, const vector& th) {
             shiftcurv::require_size("Loss.hessian", "theta", th.size(), l.p);
             return l.hessian(th); }, nb::arg("theta"))
      .def("__repr__", [](const explicit_loss& l) { return "<shiftcurv.Loss '" + l.name + "' on R^" + std::to_string(l.p) + ">"; });

  nb::class_<explicit_diffusion>(m, "Diffusion",
      "A diffusion model D(θ) (p×p): Diffusion(matrix, dimension, divergence=None, name='D').  matrix(θ) -> (p, p)\n"
      "(or a float for p = 1), divergence(θ) -> (p,) ((∇·D)_i = Σ_j ∂_j D_ij; missing: central differences).")
      .def("__init__",
           [](explicit_diffusion* self, nb::object matrix_fn, index dimension, nb::object divergence, std::string name) {
             new (self) explicit_diffusion(diffusion_from_callables(std::move(matrix_fn), dimension, std::move(divergence), std::move(name)));
           },
           nb::arg("matrix"), nb::arg("dimension"), nb::arg("divergence") = nb::none(), nb::arg("name") = "D")
      .def_ro("dimension", &explicit_diffusion::p)
      .def_ro("name", &explicit_diffusion::name)
      .def("matrix", [](const explicit_diffusion& d, const vector& th) {
             shiftcurv::require_size("Diffusion.matrix", "theta", th.size(), d.p);
             return d.matrix(th); }, nb::arg("theta"))
      .def("divergence", [](const explicit_diffusion& d, const vector& th) {
             shiftcurv::require_size("Diffusion.divergence", "theta", th.size(), d.p);
             return d.divergence(th); }, nb::arg("theta"))
      .def("__repr__", [](const explicit_diffusion& d) { return "<shiftcurv.Diffusion '" + d.name + "' on R^" + std::to_string(d.p) + ">"; });

  // ---- ready families ----
  m.def("gaussian_wells_1d",
        [](std::vector<double> minima, std::vector<double> weights, std::vector<double> sigmas, double confine, double shift) {
          shiftcurv::gaussian_wells_1d u(std::move(minima), std::move(weights), std::move(sigmas), confine);
          return from_library_loss(shift == 0 ? u : u.shifted(shift), 1, "gaussian_wells_1d");
        },
        nb::arg("minima"), nb::arg("weights"), nb::arg("sigmas"), nb::arg("confine") = 0.0, nb::arg("shift") = 0.0,
        "U(θ) = −Σ_i w_i N(θ; m_i, σ_i²) + c θ², shifted: U(θ + shift) (the paper's Figures 4 and 6).");
  m.def("gaussian_wells",
        [](std::vector<vector> means, std::vector<double> weights, std::vector<matrix> covariances, double confine) {
          const index p = means.empty() ? 0 : means.front().size();
          return from_library_loss(shiftcurv::gaussian_wells(std::move(means), std::move(weights), std::move(covariances), confine), p,
                                   "gaussian_wells");
        },
        nb::arg("means"), nb::arg("weights"), nb::arg("covariances"), nb::arg("confine") = 0.0,
        "U(θ) = −Σ_i w_i N(θ; m_i, Σ_i) + c|θ|² on R^p.");
  m.def("quadratic",
        [](const matrix& H, std::optional<vector> centre) {
          const index p = H.rows();
          return from_library_loss(centre ? shiftcurv::quadratic(H, *centre) : shiftcurv::quadratic(H), p, "quadratic");
        },
        nb::arg("H"), nb::arg("centre") = nb::none(), "U(θ) = ½(θ−m)ᵀH(θ−m).");
  m.def("double_well",
        [](index p) {
          if (p < 1) shiftcurv::detail::throw_invalid("double_well", "dimension must be >= 1, got ", p);
          return from_library_loss(shiftcurv::double_well{}, p, "double_well");
        },
        nb::arg("dimension") = 1, "U(θ) = Σ_j (θ_j⁴/4 − θ_j²/2).");
  m.def("constant_diffusion",
        [](double c, index p) { return from_library_diffusion(shiftcurv::constant_diffusion(c, p), p, "constant"); },
        nb::arg("c"), nb::arg("dimension") = 1, "D = c·I (p×p).");
  m.def("constant_diffusion_matrix",
        [](const matrix& D) { return from_library_diffusion(shiftcurv::constant_diffusion(D), D.rows(), "constant"); },
        nb::arg("D"), "D constant, symmetric positive definite.");

  // The closed forms of Appendix B.1 (THEORY.md "Closed forms for tests").
  nb::class_<shiftcurv::b1_case1>(m, "B1Case1", "Appendix B.1 case 1: U = a + ½θᵀHθ, D = U·I, v = (1 + T/2) log U.")
      .def(nb::init<const matrix&, double>(), nb::arg("H"), nb::arg("a"))
      .def_prop_ro("loss", [](const shiftcurv::b1_case1& c) { return from_library_loss(c.loss, c.loss.dimension(), "b1_case1"); })
      .def_prop_ro("noise", [](const shiftcurv::b1_case1& c) { return from_library_diffusion(c.noise, c.loss.dimension(), "b1_case1"); })
      .def("potential", &shiftcurv::b1_case1::potential, nb::arg("T"), nb::arg("theta"))
      .def("log_density", &shiftcurv::b1_case1::log_density, nb::arg("T"), nb::arg("theta"));
  nb::class_<shiftcurv::b1_case2>(m, "B1Case2", "Appendix B.1 case 2: U = ½θᵀHθ, D = H⁻¹, v = ½|∇U|².")
      .def(nb::init<const matrix&>(), nb::arg("H"))
      .def_prop_ro("loss", [](const shiftcurv::b1_case2& c) { return from_library_loss(c.loss, c.loss.dimension(), "b1_case2"); })
      .def_prop_ro("noise", [](const shiftcurv::b1_case2& c) { return from_library_diffusion(c.noise, c.loss.dimension(), "b1_case2"); })
      .def("potential", &shiftcurv::b1_case2::potential, nb::arg("T"), nb::arg("theta"))
      .def("log_density", &shiftcurv::b1_case2::log_density, nb::arg("T"), nb::arg("theta"));
  nb::class_<shiftcurv::b1_case3>(m, "B1Case3",
      "Appendix B.1 case 3: U = Σ ½h_iθ_i², f(u) = u + κu²/2, D = diag(1/f'(U_i)), v = Σ f(U_i) − (T/2)Σ log f'(U_i).")
      .def(nb::init<const vector&, double>(), nb::arg("h"), nb::arg("kappa"))
      .def_prop_ro("loss", [](const shiftcurv::b1_case3& c) { return from_library_loss(c.loss, c.loss.dimension(), "b1_case3"); })
      .def_prop_ro("noise", [](const shiftcurv::b1_case3& c) { return from_library_diffusion(c.noise, c.loss.dimension(), "b1_case3"); })
      .def("potential", &shiftcurv::b1_case3::potential, nb::arg("T"), nb::arg("theta"))
      .def("log_density", &shiftcurv::b1_case3::log_density, nb::arg("T"), nb::arg("theta"));

  // ---- the pipeline ----
  m.def("effective_potential",
        [](const explicit_loss& U, const explicit_diffusion& D, double T, const std::vector<vector>& path, const nb::kwargs& kw) {
          require_same_dimension("effective_potential", U, D, "the diffusion");
          const auto o = options_from<shiftcurv::line_integral_options>("effective_potential", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::effective_potential(U, D, T, path, o);
        },
        nb::arg("loss"), nb::arg("noise"), nb::arg("T"), nb::arg("path"), nb::arg("options"),
        "v(path[-1]) − v(path[0]) along the polyline `path` (a list of points; two points: a segment).\n"
        "Options: the fields of LineIntegralOptions.  Status tolerance_not_met / numerical_issue as in C++.");
  m.def("find_minimum",
        [](const explicit_loss& U, const vector& seed, const nb::kwargs& kw) {
          const auto o = options_from<shiftcurv::find_minimum_options>("find_minimum", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::find_minimum(U, seed, o);
        },
        nb::arg("loss"), nb::arg("seed"), nb::arg("options"), "A local minimum of U (trust-region Newton) from `seed`.");
  m.def("gaussian_mixture",
        [](const explicit_loss& U, const explicit_diffusion& D, double T, const std::vector<vector>& seeds, const nb::kwargs& kw) {
          require_same_dimension("gaussian_mixture", U, D, "the diffusion");
          const auto o = options_from<shiftcurv::gaussian_mixture_options>("gaussian_mixture", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::gaussian_mixture(U, D, T, seeds, o);
        },
        nb::arg("loss"), nb::arg("noise"), nb::arg("T"), nb::arg("seeds"), nb::arg("options"),
        "The Gaussian-mixture (Laplace) approximation of ρ ∝ exp(−2v/T), one component per seed (eq 6, 25).");
  m.def("predict_test_loss",
        [](const explicit_loss& train, const explicit_loss& test, const explicit_diffusion& D, double T,
           const std::vector<vector>& seeds, const nb::kwargs& kw) {
          require_same_dimension("predict_test_loss", train, D, "the diffusion");
          require_same_dimension("predict_test_loss", train, test, "the test loss");
          const auto o = options_from<shiftcurv::predict_test_loss_options>("predict_test_loss", kw);
          nb::gil_scoped_release nogil;
          return shiftcurv::predict_test_loss(train, test, D, T, seeds, o);
        },
        nb::arg("train"), nb::arg("test"), nb::arg("noise"), nb::arg("T"), nb::arg("seeds"), nb::arg("options"),
        "eq 3, 4 and 7: the terms of the expected test loss from the basins found from `seeds`.");

  using ss1 = shiftcurv::steady_state_1d;
  nb::class_<ss1>(m, "SteadyState1d",
      "The exact steady state of dθ = −U'dt + √(T D) dW on the reflecting interval [lo, hi]:\n"
      "SteadyState1d(loss, noise, T, lo, hi, **options) (options: SteadyState1dOptions' fields).")
      .def("__init__",
           [](ss1* self, const explicit_loss& U, const explicit_diffusion& D, double T, double lo, double hi, const nb::kwargs& kw) {
             if (U.p != 1 || D.p != 1)
               shiftcurv::detail::throw_invalid("steady_state_1d", "the loss and the diffusion must be 1-D, got dimensions ", U.p, " and ", D.p);
             const auto o = options_from<shiftcurv::steady_state_1d_options>("steady_state_1d", kw);
             nb::gil_scoped_release nogil;
             new (self) ss1(U, D, T, lo, hi, o);
           },
           nb::arg("loss"), nb::arg("noise"), nb::arg("T"), nb::arg("lo"), nb::arg("hi"), nb::arg("options"))
      .def("basins", &ss1::basins)
      .def("expected_loss", [](const ss1& s, const explicit_loss& U) {
             if (U.p != 1) shiftcurv::detail::throw_invalid("steady_state_1d::expected_loss", "the loss must be 1-D, got dimension ", U.p);
             nb::gil_scoped_release nogil;
             return s.expected_loss(U); }, nb::arg("loss"))
      .def("expectation", [](const ss1& s, nb::callable g) {
             auto h = hold(std::move(g));
             nb::gil_scoped_release nogil;
             return s.expectation([h](double x) { nb::gil_scoped_acquire gil; return to_double((*h)(x), "g(theta)"); }); },
           nb::arg("g"))
      .def("density", [](const ss1& s, double x) { return s.density(x); }, nb::arg("theta"))
      .def("density", [](const ss1& s, const vector& x) { return x.unaryExpr([&s](double t) { return s.density(t); }).eval(); }, nb::arg("theta"))
      .def("log_density", [](const ss1& s, double x) { return s.log_density(x); }, nb::arg("theta"))
      .def("log_density", [](const ss1& s, const vector& x) { return x.unaryExpr([&s](double t) { return s.log_density(t); }).eval(); }, nb::arg("theta"))
      .def("potential", [](const ss1& s, double x) { return s.potential(x); }, nb::arg("theta"))
      .def_prop_ro("status", &ss1::status)
      .def_prop_ro("message", &ss1::message)
      .def_prop_ro("temperature", &ss1::temperature)
      .def_prop_ro("zero_temperature_limit", &ss1::zero_temperature_limit)
      .def("__bool__", [](const ss1& s) { return s.status() == shiftcurv::status::success; });

  using fp1 = shiftcurv::fokker_planck_1d;
  nb::class_<fp1>(m, "FokkerPlanck1d",
      "The 1-D Fokker–Planck equation on [lo, hi] (reflecting), finite volumes (Scharfetter–Gummel):\n"
      "FokkerPlanck1d(loss, noise, T, lo, hi, cells); .steady_state(), .density(), .centres(), .evolve(t).")
      .def("__init__",
           [](fp1* self, const explicit_loss& U, const explicit_diffusion& D, double T, double lo, double hi, index cells) {
             if (U.p != 1 || D.p != 1)
               shiftcurv::detail::throw_invalid("fokker_planck_1d", "the loss and the diffusion must be 1-D, got dimensions ", U.p, " and ", D.p);
             nb::gil_scoped_release nogil;
             new (self) fp1(U, D, T, lo, hi, cells);
           },
           nb::arg("loss"), nb::arg("noise"), nb::arg("T"), nb::arg("lo"), nb::arg("hi"), nb::arg("cells"))
      .def("steady_state", &fp1::steady_state, release_gil())
      .def("density", &fp1::density)
      .def("centres", &fp1::centres)
      .def("basin_masses", &fp1::basin_masses, nb::arg("boundaries"))
      .def("set_uniform", &fp1::set_uniform);

  // fokker_planck_2d holds unique_ptrs in a vector (not copyable): bound through a holder.
  struct fp2 {
    std::unique_ptr<shiftcurv::fokker_planck_2d> fp;
  };
  nb::class_<fp2>(m, "FokkerPlanck2d",
      "The 2-D Fokker–Planck equation on a box (reflecting), for a diagonal D(θ) or a constant SPD D:\n"
      "FokkerPlanck2d(loss, noise, T, lo=(x0, y0), hi=(x1, y1), cells=(nx, ny)); .steady_state(), .density() (nx×ny).")
      .def("__init__",
           [](fp2* self, const explicit_loss& U, const explicit_diffusion& D, double T, std::array<double, 2> lo,
              std::array<double, 2> hi, std::array<index, 2> cells) {
             if (U.p != 2 || D.p != 2)
               shiftcurv::detail::throw_invalid("fokker_planck_2d", "the loss and the diffusion must be 2-D, got dimensions ", U.p, " and ", D.p);
             nb::gil_scoped_release nogil;
             new (self) fp2{std::make_unique<shiftcurv::fokker_planck_2d>(U, D, T, lo, hi, cells)};
           },
           nb::arg("loss"), nb::arg("noise"), nb::arg("T"), nb::arg("lo"), nb::arg("hi"), nb::arg("cells"))
      .def("steady_state", [](fp2& f, double tol) { return f.fp->steady_state(tol); }, nb::arg("circulation_tolerance") = 1e-9, release_gil())
      .def("density", [](const fp2& f) { return f.fp->density(); })
      .def("centres", [](const fp2& f, int axis) { return f.fp->centres(axis); }, nb::arg("axis"));
}

}  // namespace shiftcurv_python
