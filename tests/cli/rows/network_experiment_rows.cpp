// network_experiment_rows — one row of network_experiment's part 4 (d1.csv) or part 5
// (test_loss_terms.csv) recomputed by calling the library's functions directly: the digits
// loader and the MLP loss of examples/network, shiftcurv::minimize_lbfgs,
// flat_direction_variance, run_protocol and test_loss_terms, with the options and seeds the
// README documents for the flags.  It shares no code with examples/network/parts/.
//
//   network_experiment_rows --part=4|5 --seed=S --hidden=H --alpha=A --train-size=N --gtol=G
//       --max-iterations=M [part 4: --d1-train-size --d1-alpha --d1-beta --d1-lr --d1-batch
//       --d1-relaxations] [part 5: --batch --epochs --terms-temperature --terms-samples
//       --terms-thinning --terms-burn-in --terms-k]
//
// Prints the row's fields but `seconds` (shiftcurv::csv_number, comma-separated) on stdout.
// Built with network_experiment's compiler flags (tests/CMakeLists.txt): the same -march and
// optimization, so the test (tests/cli/network_experiment_parts.cpp) compares the two bit for bit.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include <shiftcurv/io/csv.hpp>
#include <shiftcurv/optimize/lbfgs.hpp>
#include <shiftcurv/studies/flat_direction_variance.hpp>
#include <shiftcurv/studies/line_protocol.hpp>
#include <shiftcurv/studies/loss_terms.hpp>

#include "network/digits.hpp"
#include "network/mlp.hpp"

namespace {

namespace net = shiftcurv_examples::network;
using shiftcurv::index;

struct flags {
  std::map<std::string, std::string> v;
  const std::string& get(const std::string& k) const {
    const auto it = v.find(k);
    if (it == v.end()) throw std::runtime_error("missing --" + k);
    return it->second;
  }
  double number(const std::string& k) const { return std::stod(get(k)); }
  long integer(const std::string& k) const { return std::stol(get(k)); }
};

std::string row(const std::vector<double>& fields) {
  std::string s;
  for (std::size_t j = 0; j < fields.size(); ++j) {
    if (j) s += ',';
    s += shiftcurv::csv_number(fields[j]);
  }
  return s;
}

net::labeled_data first_rows(const net::labeled_data& d, long n) {
  std::vector<index> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), index{0});
  return d.subset(rows);
}

// The README's L-BFGS descents: the protocol's defaults with --gtol and --max-iterations.
shiftcurv::minimize_lbfgs_options descent(const flags& f) {
  auto d = shiftcurv::line_protocol_options{}.descent;
  d.gradient_tolerance = f.number("gtol");
  d.max_iterations = static_cast<int>(f.integer("max-iterations"));
  return d;
}

// Part 4: θ* = argmin U_tr + (α/2)|θ|² on the first --d1-train-size digits from the seed's
// initialisation, then eq-13 SGD from θ* (flat_direction_variance, 5 burn-in relaxations).
std::string part4(const flags& f, const net::digits_split& data, const net::mlp_shape& shape, std::uint64_t seed) {
  const auto d = first_rows(data.train, f.integer("d1-train-size"));
  const double alpha = f.number("d1-alpha"), beta = f.number("d1-beta"), lr = f.number("d1-lr");
  const index B = f.integer("d1-batch");
  const net::mlp_loss<double> reg(shape, d, alpha), plain(shape, d, 0.0);
  const auto star = shiftcurv::minimize_lbfgs(reg, net::initial_parameters(shape, seed), descent(f));
  shiftcurv::sgd_options o;
  o.learning_rate = lr;
  o.batch_size = B;
  o.alpha = alpha;
  o.beta = beta;
  shiftcurv::flat_direction_variance_options fo;
  fo.sample_relaxations = f.number("d1-relaxations");
  fo.burn_in_relaxations = 5;
  fo.seed = seed;
  const auto r = shiftcurv::flat_direction_variance(plain, star.theta, o, fo);
  return row({static_cast<double>(seed), static_cast<double>(d.size()), static_cast<double>(r.parameters),
              static_cast<double>(r.rank), r.temperature, alpha, beta, lr, static_cast<double>(B),
              static_cast<double>(r.steps), r.variance, r.standard_error, r.prediction, r.prediction_discrete,
              r.direction_variance, r.direction_standard_error, r.span_variance, r.batch_autocorrelation,
              star.gradient_norm, static_cast<double>(static_cast<int>(r.status))});
}

// Part 5: the protocol at T (SGD from the seed's initialisation, the two descents; 3 line
// points), then test_loss_terms from θ_tr at the same T and B.
std::string part5(const flags& f, const net::digits_split& data, const net::mlp_shape& shape, std::uint64_t seed) {
  const double alpha = f.number("alpha"), T = f.number("terms-temperature");
  const index B = f.integer("batch");
  const net::mlp_loss<double> train(shape, first_rows(data.train, f.integer("train-size")), alpha),
      test(shape, data.test, alpha);
  shiftcurv::line_protocol_options po;
  po.temperature = T;
  po.batch_size = B;
  po.epochs = f.number("epochs");
  po.descent = descent(f);
  po.line_points = 3;
  const auto line = shiftcurv::run_protocol(train, test, net::initial_parameters(shape, seed), po, seed);
  shiftcurv::sgd_options so;
  so.learning_rate = T * static_cast<double>(B);
  so.batch_size = B;
  shiftcurv::test_loss_terms_options to;
  to.samples = f.integer("terms-samples");
  to.thinning = f.integer("terms-thinning");
  to.burn_in = f.integer("terms-burn-in");
  to.k = f.integer("terms-k");
  to.seed = seed;
  const auto r = shiftcurv::test_loss_terms(train, test, line.theta_tr, line.theta_test, so, to);
  return row({T, static_cast<double>(seed), r.mean_test_loss, r.mean_test_loss_standard_error, r.effective_samples,
              r.mean_train_loss, r.measured.depth, r.measured.shift_curvature, r.projected_shift_curvature,
              r.measured.bias_curvature, r.measured.covariance_curvature,
              r.measured_covariance_curvature.standard_error, r.measured.total_eq4, r.predicted.bias_curvature,
              r.predicted.covariance_curvature, r.predicted.total_eq4, r.measured.total_eq7, static_cast<double>(r.k),
              static_cast<double>(r.records), line.train_descent.gradient_norm, line.test_descent.gradient_norm,
              static_cast<double>(static_cast<int>(r.status))});
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (!std::getenv("OMP_NUM_THREADS")) Eigen::setNbThreads(1);  // as network_experiment
    flags f;
    for (int k = 1; k < argc; ++k) {
      const std::string a = argv[k];
      const auto eq = a.find('=');
      if (a.rfind("--", 0) != 0 || eq == std::string::npos) throw std::runtime_error("expected --name=value: " + a);
      f.v[a.substr(2, eq - 2)] = a.substr(eq + 1);
    }
    std::vector<shiftcurv::index> widths{64};
    widths.push_back(f.integer("hidden"));
    widths.push_back(10);
    const net::mlp_shape shape{widths};
    const auto data = net::load_digits(net::default_digits_path());
    const auto seed = static_cast<std::uint64_t>(f.integer("seed"));
    const long part = f.integer("part");
    if (part == 4) std::cout << part4(f, data, shape, seed) << '\n';
    else if (part == 5) std::cout << part5(f, data, shape, seed) << '\n';
    else throw std::runtime_error("--part must be 4 or 5");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "network_experiment_rows: " << e.what() << '\n';
    return 1;
  }
}
