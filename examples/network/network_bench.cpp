// network_bench — time the four batched computations of the digits MLP on the 1000 training
// digits, as CSV on stdout, so that outside scripts can compare with their own measurement
// (benchmarks/network/torch_bench.py does, for PyTorch) in the same run.
//
//   network_bench --hidden=h1,h2,... [--backend=cpu|cuda] [--precision=double|float] [--reps=R]
//                 [--data=PATH]
//
// Output: a header line, then one row per op:  op,backend,precision,p,median_ms
//   grad        ∇U_tr (mean over the 1000 samples)          mlp_loss::mean_gradient
//   hvp         ∇²U_tr·v (R-operator)                       mlp_loss::mean_hvp
//   per_sample  the N × p per-sample gradient matrix        mlp_loss::sample_gradients (into a reused G)
//   dv          D·v, D the per-sample gradient covariance    mlp_loss::covariance_apply
// Each op runs once to warm up, then R times (default 20); median_ms is the median wall time.
// θ = initial_parameters(shape, 1), v = unit_vector(p, 2), α = 0.  The CPU backend uses as many
// threads as Eigen is given (OMP_NUM_THREADS); bad input exits 2 with one line on stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "network/network_args.hpp"
#include "network/workspace.hpp"

namespace cli = shiftcurv_examples::cli;

namespace {

template <class F>
double median_ms(long reps, F&& op) {
  op();  // warm-up
  std::vector<double> t;
  for (long r = 0; r < reps; ++r) {
    const auto a = std::chrono::steady_clock::now();
    op();
    const auto b = std::chrono::steady_clock::now();
    t.push_back(std::chrono::duration<double, std::milli>(b - a).count());
  }
  std::sort(t.begin(), t.end());
  const std::size_t n = t.size();
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

template <class Loss>
void bench(const shiftcurv_examples::network::mlp_shape& shape, const Loss& U, const std::string& backend,
           const std::string& precision, long reps) {
  const shiftcurv::vector theta = shiftcurv_examples::network::initial_parameters(shape, 1);
  const shiftcurv::vector v = shiftcurv_examples::network::unit_vector(theta.size(), 2);
  volatile double sink = 0;
  std::printf("op,backend,precision,p,median_ms\n");
  auto row = [&](const char* op, double ms) {
    std::printf("%s,%s,%s,%ld,%.6g\n", op, backend.c_str(), precision.c_str(), static_cast<long>(theta.size()), ms);
    std::fflush(stdout);
  };
  row("grad", median_ms(reps, [&] { sink = sink + U.mean_gradient(theta)(0); }));
  row("hvp", median_ms(reps, [&] { sink = sink + U.mean_hvp(theta, v)(0); }));
  shiftcurv::matrix G;  // reused: the N×p result is written in place (no page faults per call)
  row("per_sample", median_ms(reps, [&] {
        U.sample_gradients(theta, G);
        sink = sink + G(0, 0);
      }));
  row("dv", median_ms(reps, [&] { sink = sink + U.covariance_apply(theta, v)(0); }));
}

#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
/// The CUDA backend as PyTorch is measured: θ and v already on the device, the result left
/// there; each timed call is one op (a CUDA Graph replay) and a synchronisation.
void bench_cuda(const shiftcurv_examples::network::mlp_shape& shape, const shiftcurv_examples::network::labeled_data& train,
                const std::string& precision, long reps) {
  namespace net = shiftcurv_examples::network;
  net::mlp_cuda_loss U(shape, train, 0.0, precision == "double" ? net::cuda_precision::float64 : net::cuda_precision::float32);
  const shiftcurv::vector theta = net::initial_parameters(shape, 1);
  const shiftcurv::vector v = net::unit_vector(theta.size(), 2);
  net::mlp_cuda& dev = U.backend();
  dev.upload(theta.data(), v.data());
  std::printf("op,backend,precision,p,median_ms\n");  // only once the device is up
  auto row = [&](const char* op, net::cuda_op code) {
    const double ms = median_ms(reps, [&] {
      dev.run(code);
      dev.synchronize();
    });
    std::printf("%s,cuda,%s,%ld,%.6g\n", op, precision.c_str(), static_cast<long>(theta.size()), ms);
    std::fflush(stdout);
  };
  row("grad", net::cuda_op::gradient);
  row("hvp", net::cuda_op::hvp);
  row("per_sample", net::cuda_op::sample_gradients);
  row("dv", net::cuda_op::covariance_apply);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  shiftcurv_examples::network::keep_freed_work_space();
  CLI::App app{"Time gradient, HVP, per-sample gradients and D·v of the digits MLP (CSV on stdout)"};
  long reps = 20;
  std::string hidden, backend = "cpu", precision = "double", data = shiftcurv_examples::network::default_digits_path();
  app.add_option("--hidden", hidden, "hidden widths h1,h2,...")->required();
  app.add_option("--backend", backend, "cpu | cuda")->capture_default_str();
  app.add_option("--precision", precision, "double | float")->capture_default_str();
  app.add_option("--reps", reps, "timed repetitions R > 0")->transform(cli::positive_integer())->capture_default_str();
  app.add_option("--data", data, "digits CSV (.csv or .csv.gz)")->capture_default_str();

  return cli::run("network_bench", app, argc, argv, [&] {
    namespace net = shiftcurv_examples::network;
    const net::mlp_shape shape = cli::parse_hidden(hidden);
    const std::string be = cli::parse_backend(backend);
    const std::string prec = cli::trim(precision);
    if (prec != "double" && prec != "float") cli::fail("--precision", "expected double or float", precision);
    const long r = reps;
    const net::digits_split d = net::load_digits(data);
    if (be == "cpu") {
      if (prec == "double")
        bench(shape, net::mlp_loss<double>(shape, d.train), be, prec, r);
      else
        bench(shape, net::mlp_loss<float>(shape, d.train), be, prec, r);
    } else {
#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
      bench_cuda(shape, d.train, prec, r);
#endif
    }
    return 0;
  });
}
