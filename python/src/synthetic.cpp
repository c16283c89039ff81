// python/src/synthetic.cpp — the paper's synthetic 1-D experiments from Python, through the
// same code as the command-line programs (examples/cli/synthetic.hpp, common.hpp), so a table
// computed here equals `synthetic_basins`' CSV and an ensemble equals `langevin_ensemble`'s
// for the same flags and seed: the model (Gaussian wells, const / linear / affine-loss
// diffusion, reflecting domain), its basin partition, one row per temperature, and the Langevin
// ensemble (threads, Philox keyed by seed, particle and step).
#include <optional>

#include <nanobind/stl/tuple.h>

#include "cli/common.hpp"
#include "cli/langevin.hpp"
#include "cli/synthetic.hpp"
#include "common.hpp"

namespace shiftcurv_python {

namespace cli = shiftcurv_examples::cli;

namespace {

/// The programs' flags as numbers/strings (the same validation, messages naming the flag).
cli::model make_model(const std::string& minima, const std::string& weights, const std::string& sigmas,
                      double shift, const std::string& diffusion, double lo, double hi, double confine) {
  cli::model_flags f;
  f.minima = minima;
  f.weights = weights;
  f.sigmas = sigmas;
  f.shift = cli::num(shift);
  f.diffusion = diffusion;
  f.domain = cli::num(lo) + "," + cli::num(hi);
  f.confine = cli::num(confine);
  return cli::build_model(f);
}

struct synthetic_state {
  cli::model model;
  cli::basin_partition basins;
};
/// Held through a pointer: the model holds over-aligned SIMD members (gaussian_wells_1d), which
/// operator new honours and a Python object's inline storage does not.
struct synthetic_model {
  std::unique_ptr<synthetic_state> state;
  const cli::model& model() const { return state->model; }
  const cli::basin_partition& basins() const { return state->basins; }
};

}  // namespace

void bind_synthetic(nb::module_& m) {
  nb::class_<synthetic_model>(m, "_SyntheticModel")
      .def("__init__",
           [](synthetic_model* self, const std::string& minima, const std::string& weights, const std::string& sigmas,
              double shift, const std::string& diffusion, double lo, double hi, double confine) {
             auto md = make_model(minima, weights, sigmas, shift, diffusion, lo, hi, confine);
             auto b = cli::partition_basins(md);
             new (self) synthetic_model{std::make_unique<synthetic_state>(synthetic_state{std::move(md), std::move(b)})};
           },
           nb::arg("minima"), nb::arg("weights"), nb::arg("sigmas"), nb::arg("shift"), nb::arg("diffusion"),
           nb::arg("lo"), nb::arg("hi"), nb::arg("confine"))
      .def_prop_ro("minima", [](const synthetic_model& s) { return s.basins().minima; })
      .def_prop_ro("boundaries", [](const synthetic_model& s) { return s.basins().boundaries; })
      .def("train_value", [](const synthetic_model& s, double x) { return s.model().train.value(x); })
      .def("test_value", [](const synthetic_model& s, double x) { return s.model().test.value(x); })
      .def("diffusion_value", [](const synthetic_model& s, double x) { return s.model().noise.value(x); })
      // One row per T as synthetic_basins computes it: the header, the rows, one warning per row.
      .def("table",
           [](const synthetic_model& s, const std::vector<double>& Ts) {
             for (double T : Ts)
               if (!(T > 0)) throw cli::usage_error("--temperatures: every T must be > 0 (got '" + cli::num(T) + "')");
             std::vector<cli::synthetic_row> rows;
             std::vector<std::string> warnings;
             {
               nb::gil_scoped_release nogil;
               for (double T : Ts) {
                 cli::synthetic_row row = cli::synthetic_row_at(s.model(), s.basins(), T);
                 warnings.push_back(row.warning);
                 rows.push_back(std::move(row));
               }
             }
             const auto t = cli::synthetic_csv(rows, s.basins().minima.size());
             std::vector<std::vector<double>> cols(t.header.size());
             for (const auto& r : t.rows)
               for (std::size_t j = 0; j < r.size(); ++j) cols[j].push_back(r[j].number());
             return std::make_tuple(t.header, cols, warnings);
           },
           nb::arg("temperatures"))
      .def("langevin",
           [](const synthetic_model& s, double T, index particles, double dt, double time, std::uint64_t seed,
              const std::string& scheme, std::optional<double> x0, unsigned threads) {
             shiftcurv::langevin_1d_options o;
             if (!(T > 0)) throw cli::usage_error("--temperature: T must be > 0 (got '" + cli::num(T) + "')");
             if (particles < 1) throw cli::usage_error("--particles: must be >= 1 (got '" + std::to_string(particles) + "')");
             if (!(dt > 0)) throw cli::usage_error("--dt: must be > 0 (got '" + cli::num(dt) + "')");
             if (!(time >= 0)) throw cli::usage_error("--time: t_end must be >= 0 (got '" + cli::num(time) + "')");
             o.particles = particles;
             o.dt = dt;
             o.t_end = time;
             o.seed = seed;
             o.scheme = cli::parse_scheme(scheme);
             cli::set_domain(o, s.model(), s.basins(), x0 ? cli::parse_init(cli::num(*x0), s.model()) : std::nullopt);
             o.threads = threads;
             o.progress = false;
             const cli::diffusion_1d noise = s.model().noise;
             const auto D = [&noise](double x) { return noise.value(x); };
             nb::gil_scoped_release nogil;
             return shiftcurv::langevin_ensemble_1d(s.model().train, s.model().test, D, T, o);
           },
           nb::arg("T"), nb::arg("particles"), nb::arg("dt"), nb::arg("time"), nb::arg("seed"), nb::arg("scheme"),
           nb::arg("x0") = nb::none(), nb::arg("threads") = 0u);

  // The programs' "bad input" as InvalidArgument (ValueError).
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const cli::usage_error& e) {
      nb::object cls = nb::module_::import_("shiftcurv._shiftcurv").attr("InvalidArgument");
      PyErr_SetString(cls.ptr(), e.what());
    }
  });
}

}  // namespace shiftcurv_python

// A module of its own (shiftcurv._programs), compiled as the programs are (-O3, the same
// instruction set): the inline functions it shares with the rest of the bindings (the wells,
// steady_state_1d, Eigen's kernels) would otherwise be merged by the linker with copies compiled
// at another optimization level, and the doubles would differ from the programs' in the last bits.
NB_MODULE(_programs, m) {
  m.doc() = "The synthetic command-line programs' own code (examples/cli), for shiftcurv.SyntheticModel";
  nanobind::module_::import_("shiftcurv._shiftcurv");  // the result types and exceptions are registered there
  shiftcurv_python::bind_synthetic(m);
}
