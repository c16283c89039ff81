// network_probe — the MLP loss of examples/network on the digits, probed at one point: the
// numbers an outside script checks against its own implementation (e.g. PyTorch).
//
//   network_probe --hidden=h1,h2,... --seed=S --out=DIR [--alpha=a] [--backend=cpu|cuda]
//                 [--data=PATH] [--sample-rows=K]
//
// The net is 64-h1-h2-…-10 (tanh hidden layers, softmax cross-entropy), trained on the first
// 1000 digits and tested on the other 797 (examples/data/digits.csv.gz, features / 16).
// θ = initial_parameters(shape, S) (examples/network/mlp.hpp: W_l entries N(0, 1/n_{l−1}),
// b_l = 0, from std::mt19937_64(S) by Box–Muller on 53-bit uniforms, in parameter order: each
// layer's W row-major, then its b); v = unit_vector(p, S + 1) (normals from std::mt19937_64(S+1),
// normalised).  Written to DIR (created if missing), one number per line, 17 significant digits:
//   theta.txt       θ (p lines)                  v.txt         v (p lines)
//   train_loss.txt  U_tr(θ) incl. (α/2)|θ|²      grad.txt      ∇U_tr(θ), ℓ2 term included
//   hvp.txt         ∇²U_tr(θ)·v (incl. α v)      dv.txt        D_tr(θ)·v, D of the per-sample
//   trace_d.txt     tr D_tr(θ)                                  cross-entropy gradients (1/N)
//   test_loss.txt   U_test(θ), no ℓ2 term
//   sample_gradients.txt  only with --sample-rows=K > 0: the per-sample gradients ∇U(x_i, θ)
//                   (ℓ2 term included, αθ) of training samples i = 0 … K−1, one row per line,
//                   p numbers separated by commas (K ≤ 1000)
// Every value is computed before anything is written; each file is written atomically and a
// failed run removes the files it wrote.  Bad input (unknown flag, empty or non-numeric list,
// negative or non-finite alpha, missing data file, unwritable DIR) exits 2 with one line on
// stderr; other failures exit 1.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <shiftcurv/io/csv.hpp>

#include "network/network_args.hpp"
#include "network/workspace.hpp"

namespace cli = shiftcurv_examples::cli;

namespace {

std::string lines_of(const shiftcurv::vector& x) {
  std::string s;
  char buf[40];
  for (shiftcurv::index i = 0; i < x.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%.17g\n", x(i));
    s += buf;
  }
  return s;
}
std::string line_of(double x) { return lines_of(shiftcurv::vector::Constant(1, x)); }

std::string rows_of(const shiftcurv::matrix& G, shiftcurv::index k) {
  std::string s;
  char buf[40];
  for (shiftcurv::index i = 0; i < k; ++i) {
    for (shiftcurv::index j = 0; j < G.cols(); ++j) {
      std::snprintf(buf, sizeof buf, j + 1 < G.cols() ? "%.17g," : "%.17g\n", G(i, j));
      s += buf;
    }
  }
  return s;
}

template <class Loss>
std::vector<std::pair<std::string, std::string>> probe(const Loss& train, const Loss& test,
                                                       const shiftcurv::vector& theta, const shiftcurv::vector& v,
                                                       shiftcurv::index sample_rows) {
  std::vector<std::pair<std::string, std::string>> files;
  if (sample_rows > 0) files.emplace_back("sample_gradients.txt", rows_of(train.sample_gradients(theta), sample_rows));
  std::vector<std::pair<std::string, std::string>> main_files = {{"theta.txt", lines_of(theta)},
          {"v.txt", lines_of(v)},
          {"train_loss.txt", line_of(train.mean_value(theta))},
          {"grad.txt", lines_of(train.mean_gradient(theta))},
          {"hvp.txt", lines_of(train.mean_hvp(theta, v))},
          {"dv.txt", lines_of(train.covariance_apply(theta, v))},
          {"trace_d.txt", line_of(train.covariance_trace(theta))},
          {"test_loss.txt", line_of(test.mean_value(theta))}};
  files.insert(files.begin(), main_files.begin(), main_files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  shiftcurv_examples::network::keep_freed_work_space();
  CLI::App app{"Probe the digits MLP loss at the seed's parameters (value, gradient, HVP, D·v, tr D)"};
  std::uint64_t seed = 0;
  std::string hidden, out, alpha = "0", backend = "cpu", data = shiftcurv_examples::network::default_digits_path();
  app.add_option("--hidden", hidden, "hidden widths h1,h2,...")->required();
  app.add_option("--seed", seed, "seed S of θ and v")->transform(cli::seed())->required();
  app.add_option("--out", out, "output directory")->required();
  app.add_option("--alpha", alpha, "l2 weight α >= 0 (train loss only)")->capture_default_str();
  app.add_option("--backend", backend, "cpu | cuda")->capture_default_str();
  app.add_option("--data", data, "digits CSV (.csv or .csv.gz)")->capture_default_str();
  std::string sample_rows = "0";
  app.add_option("--sample-rows", sample_rows, "also write the first K per-sample gradients (0..1000)")->capture_default_str();

  return cli::run("network_probe", app, argc, argv, [&] {
    namespace net = shiftcurv_examples::network;
    const net::mlp_shape shape = cli::parse_hidden(hidden);
    const std::uint64_t s = seed;
    const double a = cli::parse_number("--alpha", alpha, alpha);
    if (a < 0) cli::fail("--alpha", "must be >= 0", alpha);
    const std::string be = cli::parse_backend(backend);
    if (cli::trim(out).empty()) cli::fail("--out", "expected a directory", out);
    const double k_rows = cli::parse_number("--sample-rows", sample_rows, sample_rows);
    if (!(k_rows >= 0 && k_rows <= 1000 && k_rows == std::floor(k_rows)))
      cli::fail("--sample-rows", "expected an integer in [0, 1000]", sample_rows);
    const auto K = static_cast<shiftcurv::index>(k_rows);

    const net::digits_split d = net::load_digits(data);  // invalid_argument → exit 2

    // The output directory must exist (or be creatable) and be writable before any work.
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(out, ec);
    if (ec || !fs::is_directory(out)) cli::fail("--out", "cannot create the directory", out);
    try {
      shiftcurv::detail::write_file_atomically("network_probe", fs::path(out) / ".write-test", "");
      fs::remove(fs::path(out) / ".write-test", ec);
    } catch (const std::exception&) {
      cli::fail("--out", "the directory is not writable", out);
    }

    const shiftcurv::vector theta = net::initial_parameters(shape, s);
    const shiftcurv::vector v = net::unit_vector(theta.size(), s + 1);

    std::vector<std::pair<std::string, std::string>> files;
    if (be == "cpu") {
      files = probe(net::mlp_loss<double>(shape, d.train, a), net::mlp_loss<double>(shape, d.test, 0.0), theta, v, K);
    } else {
#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
      files = probe(net::mlp_cuda_loss(shape, d.train, a), net::mlp_cuda_loss(shape, d.test, 0.0), theta, v, K);
#endif
    }

    std::vector<fs::path> written;
    try {
      for (const auto& [name, text] : files) {
        shiftcurv::detail::write_file_atomically("network_probe", fs::path(out) / name, text);
        written.push_back(fs::path(out) / name);
      }
    } catch (...) {
      for (const auto& p : written) fs::remove(p, ec);
      throw;
    }
    return 0;
  });
}
