// Runs the command-line examples as an outside script would, and an independent quadrature
// reference for the 1-D steady state (no shiftcurv code involved).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include <boost/math/quadrature/gauss.hpp>
#include <boost/math/quadrature/gauss_kronrod.hpp>

#ifndef SHIFTCURV_EXAMPLES_DIR
#error "SHIFTCURV_EXAMPLES_DIR must point at the built examples"
#endif

namespace harness {

struct run_result {
  int code = -1;
  std::string out, err;
};

inline std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// Runs `program args` from the examples directory, capturing stdout, stderr and the exit code.
inline run_result run(const std::string& program, const std::string& args) {
  static int counter = 0;
  const std::string base = std::string("/tmp/shiftcurv_cli_") + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  const std::string cmd = std::string(SHIFTCURV_EXAMPLES_DIR) + "/" + program + " " + args + " >" + base + ".out 2>" + base + ".err";
  const int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return r;
}

/// A unique scratch path for this process (pid and a counter): tests never share a file.
inline std::string temp_path(const std::string& stem) {
  static int counter = 0;
  return "/tmp/shiftcurv_cli_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + stem;
}

struct exec_result {
  int code = -1;          ///< exit status, -1 if killed by a signal
  int signal = 0;         ///< the signal that ended it, 0 if it exited
  bool timed_out = false; ///< killed (SIGKILL) after `timeout_s`
  double seconds = 0;
  std::string out, err;
};

/// Runs `program` with exactly `args` (no shell: any bytes may appear in an argument),
/// stdout and stderr captured, killed after `timeout_s` seconds.
inline exec_result run_args(const std::string& program, const std::vector<std::string>& args, double timeout_s) {
  const std::string base = temp_path("exec");
  const std::string out_path = base + ".out", err_path = base + ".err";
  const std::string exe = std::string(SHIFTCURV_EXAMPLES_DIR) + "/" + program;
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int o = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || ::dup2(o, 1) < 0 || ::dup2(e, 2) < 0) ::_exit(127);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  exec_result r;
  if (pid < 0) return r;
  int status = 0;
  while (true) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (t > timeout_s && !r.timed_out) {
      ::kill(pid, SIGKILL);
      r.timed_out = true;
    }
    ::usleep(2000);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) r.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

inline std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::stringstream ss(s);
  while (std::getline(ss, cur, sep)) out.push_back(cur);
  return out;
}

struct csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
  double at(std::size_t row, const std::string& col) const {
    for (std::size_t j = 0; j < header.size(); ++j)
      if (header[j] == col) return rows.at(row).at(j);
    throw std::runtime_error("no column " + col);
  }
  std::vector<double> column(const std::string& col) const {
    std::vector<double> c;
    for (std::size_t i = 0; i < rows.size(); ++i) c.push_back(at(i, col));
    return c;
  }
};

inline csv parse_csv(const std::string& text) {
  csv c;
  const auto lines = split(text, '\n');
  if (lines.empty()) return c;
  c.header = split(lines[0], ',');
  for (std::size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<double> r;
    // strtod, not stod: stod throws out_of_range on a subnormal such as 5e-324.
    for (const auto& t : split(lines[i], ',')) {
      char* end = nullptr;
      const double x = std::strtod(t.c_str(), &end);
      if (t.empty() || end != t.c_str() + t.size()) throw std::runtime_error("not a number: '" + t + "'");
      r.push_back(x);
    }
    c.rows.push_back(r);
  }
  return c;
}

inline std::size_t count_lines(const std::string& s) {
  std::size_t n = 0;
  for (char ch : s) n += ch == '\n';
  return n;
}

// ---- independent reference -------------------------------------------------------------------
/// U(θ) = −Σ w_i N(θ + s; m_i, σ_i²) + c(θ + s)², written out here (not the library's).
struct wells {
  std::vector<double> m, w, sg;
  double c = 0, s = 0;
  double value(double th) const {
    const double x = th + s;
    double u = c * x * x;
    for (std::size_t i = 0; i < m.size(); ++i) {
      const double r = (x - m[i]) / sg[i];
      u -= w[i] * std::exp(-0.5 * r * r) / (sg[i] * std::sqrt(2 * std::numbers::pi));
    }
    return u;
  }
  double slope(double th) const {
    const double x = th + s;
    double d = 2 * c * x;
    for (std::size_t i = 0; i < m.size(); ++i) {
      const double r = (x - m[i]) / sg[i];
      d += w[i] * r / sg[i] * std::exp(-0.5 * r * r) / (sg[i] * std::sqrt(2 * std::numbers::pi));
    }
    return d;
  }
  /// U'' in closed form: 2c + Σ w_i φ_i (1 − r_i²)/σ_i², φ_i the normal density.
  double curvature(double th) const {
    const double x = th + s;
    double d = 2 * c;
    for (std::size_t i = 0; i < m.size(); ++i) {
      const double r = (x - m[i]) / sg[i];
      d += w[i] * (1 - r * r) / (sg[i] * sg[i]) * std::exp(-0.5 * r * r) / (sg[i] * std::sqrt(2 * std::numbers::pi));
    }
    return d;
  }
};

/// The exact steady state ρ ∝ exp(−(2/T)∫U'/D)/D on [lo, hi] by brute force: `panels` equal
/// panels, the inner integral ∫U'/D by Gauss–Kronrod, the outer by 20-point Gauss–Legendre on
/// each panel, log-space relative to the grid maximum.  Returns ∫ρ g for any g, and the masses between boundaries.
struct reference_1d {
  std::function<double(double)> dU, D;
  double T, lo, hi;
  int panels = 4000;
  std::vector<double> nodes, inner;  // ∫_lo^node U'/D
  double log_max = 0, Z = 0;

  reference_1d(std::function<double(double)> dU_, std::function<double(double)> D_, double T_, double lo_, double hi_, int panels_ = 4000)
      : dU(std::move(dU_)), D(std::move(D_)), T(T_), lo(lo_), hi(hi_), panels(panels_) {
    // U'/D is smooth on the scale of a panel: 20-point Gauss–Legendre is exact to rounding.
    using gauss20 = boost::math::quadrature::gauss<double, 20>;
    nodes.resize(panels + 1);
    inner.assign(panels + 1, 0.0);
    for (int i = 0; i <= panels; ++i) nodes[i] = lo + (hi - lo) * i / panels;
    auto f = [&](double x) { return dU(x) / D(x); };
    for (int i = 0; i < panels; ++i) inner[i + 1] = inner[i] + gauss20::integrate(f, nodes[i], nodes[i + 1]);
    log_max = -1e300;
    for (int i = 0; i <= panels; ++i) log_max = std::max(log_max, log_rho(nodes[i], i));
    Z = integrate([](double) { return 1.0; });
  }
  double log_rho(double x, int panel) const {
    using gauss10 = boost::math::quadrature::gauss<double, 10>;
    double I = inner[panel];
    if (x != nodes[panel]) I += gauss10::integrate([&](double t) { return dU(t) / D(t); }, nodes[panel], x);
    return -2 / T * I - std::log(D(x));
  }
  int panel_of(double x) const {
    int i = static_cast<int>((x - lo) / (hi - lo) * panels);
    return std::min(std::max(i, 0), panels - 1);
  }
  template <class G>
  double integrate(const G& g, double a, double b) const {
    // 20-point Gauss–Legendre per panel: the panels ((hi−lo)/4000) are < 0.4 standard
    // deviations of the narrowest peak tested, where a degree-39 rule is exact to rounding.
    using gauss20 = boost::math::quadrature::gauss<double, 20>;
    double sum = 0;
    for (int i = 0; i < panels; ++i) {
      const double pa = std::max(a, nodes[i]), pb = std::min(b, nodes[i + 1]);
      if (!(pb > pa)) continue;
      // Panels where ρ is below e^{−60} of its maximum at both ends and the middle contribute
      // < 1e-26 relative (the peaks are ≥ 3 panels wide for the temperatures tested).
      const double mid = 0.5 * (nodes[i] + nodes[i + 1]);
      if (std::max({log_rho(nodes[i], i), log_rho(mid, i), log_rho(nodes[i + 1], std::min(i + 1, panels - 1))}) - log_max < -60)
        continue;
      sum += gauss20::integrate([&](double x) { return g(x) * std::exp(log_rho(x, i) - log_max); }, pa, pb);
    }
    return sum;
  }
  template <class G>
  double integrate(const G& g) const { return integrate(g, lo, hi); }
  template <class G>
  double expectation(const G& g) const { return integrate(g) / Z; }
  double mass(double a, double b) const { return integrate([](double) { return 1.0; }, a, b) / Z; }
};

}  // namespace harness
