// tests/gpu/gpu_mlp_test.cpp — the CUDA backend of the network loss (examples/network/
// mlp_cuda.hpp) against an independent plain-loop CPU reference of the same math, and against
// the CPU backend mlp_loss<double> (examples/network/mlp.hpp) when that header is present;
// then its throughput.
//
//   gpu_mlp_test DIGITS.csv[.gz] [--csv=FILE] [--quick] [--small] [--no-bench] [--net=64-W-..-10]
//
// --quick: 5 timed runs instead of 20, no second-θ check; --small: the two small nets only;
// --no-bench: checks only; --net (repeatable): these nets instead of the three below.
//
// Exit status: 0 all checks passed; 1 a check failed (or a usage/data error); 77 no CUDA
// device (the checks that need none, argument validation and the reference's own finite-
// difference checks, have run and passed).  ctest runs it as `gpu` (77 = skipped, as on the
// CI machines, which have no GPU); tests/gpu/run.sh runs it on a GPU machine with the timings.
//
// Nets 64-24-16-10, 64-128-128-10, 64-1024-1024-10 on the first 1000 digits, α = 1e-3, θ from
// a fixed seed (LeCun N(0, 1/in) weights, N(0, 0.1²) biases), v ~ N(0, 1).  float64 must agree
// with the reference to 1e-10 relative (‖a−b‖/‖b‖), float32 to 1e-4 (value, gradient,
// per-sample gradients) or 1e-3 (HVP, D·v, trace: products of more rounded factors).  Also:
// the device-resident interface's results (upload + run + download, bitwise the host
// interface's); on the two small nets the Eigen adapter mlp_cuda_loss (minibatch_gradient with
// repeated rows against the mean of the reference's rows, float32 against float64, its size and
// NaN checks naming the member) and, where Boost's and Random123's headers are found, 20 steps of
// the library's sgd_iterates on the CUDA loss against the CPU backend with the same seed.
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "network/mlp_cuda.hpp"
#include "network/mlp_cuda_loss.hpp"

// The comparison with the CPU backend (written beside this one) is compiled when its header is
// there; -DSHIFTCURV_GPU_TEST_LEAD=0 leaves it out (tests/gpu/run.sh retries so when the
// build with it fails).
#ifndef SHIFTCURV_GPU_TEST_LEAD
#define SHIFTCURV_GPU_TEST_LEAD 1
#endif
#if SHIFTCURV_GPU_TEST_LEAD && __has_include("network/mlp.hpp")
#include "network/mlp.hpp"
#define SC_HAVE_CPU_BACKEND 1
#else
#define SC_HAVE_CPU_BACKEND 0
#endif

// The SGD trajectory check runs the library's sgd_iterates (shiftcurv/dynamics/sgd.hpp) on both
// backends: it needs Boost's odeint tag header and Random123, compiled in where they are found
// (the top-level build; tests/gpu/run.sh when third_party/ holds them: prepare_third_party.sh).
#if SC_HAVE_CPU_BACKEND && __has_include(<boost/numeric/odeint/stepper/stepper_categories.hpp>) && \
    __has_include(<Random123/philox.h>)
#include "shiftcurv/dynamics/sgd.hpp"
#define SC_HAVE_SGD 1
#else
#define SC_HAVE_SGD 0
#endif

#if defined(SHIFTCURV_HAVE_ZLIB) && SHIFTCURV_HAVE_ZLIB
#include <zlib.h>
#define SC_HAVE_ZLIB 1
#else
#define SC_HAVE_ZLIB 0
#endif

namespace {

using shiftcurv_examples::network::cuda_op;
using shiftcurv_examples::network::cuda_precision;
using shiftcurv_examples::network::mlp_cuda;
using vec = std::vector<double>;

// ---- checks ---------------------------------------------------------------------------------

int failures = 0;
int checks = 0;

#define CHECK(cond)                                                                   \
  do {                                                                                \
    ++checks;                                                                         \
    if (!(cond)) {                                                                    \
      ++failures;                                                                     \
      std::cout << "FAIL " << __FILE__ << ":" << __LINE__ << ": " #cond << std::endl; \
    }                                                                                 \
  } while (0)

double norm(const double* a, size_t n) {
  double s = 0;
  for (size_t k = 0; k < n; ++k) s += a[k] * a[k];
  return std::sqrt(s);
}

double rel_diff(const double* a, const double* b, size_t n) {
  double d = 0;
  for (size_t k = 0; k < n; ++k) d += (a[k] - b[k]) * (a[k] - b[k]);
  const double nb = norm(b, n);
  return nb > 0 ? std::sqrt(d) / nb : std::sqrt(d);
}

// Counts a check; prints one line with the relative difference either way.
void check_rel(const std::string& what, const double* a, const double* b, size_t n, double tol) {
  ++checks;
  const double r = rel_diff(a, b, n);
  const bool ok = std::isfinite(r) && r <= tol;
  if (!ok) ++failures;
  std::printf("  %-4s %-52s rel %.3e  (tol %.0e)\n", ok ? "ok" : "FAIL", what.c_str(), r, tol);
  std::fflush(stdout);
}
void check_rel(const std::string& what, const vec& a, const vec& b, double tol) {
  if (a.size() != b.size()) {
    ++checks;
    ++failures;
    std::printf("  FAIL %s: sizes %zu and %zu\n", what.c_str(), a.size(), b.size());
    return;
  }
  check_rel(what, a.data(), b.data(), a.size(), tol);
}
void check_rel(const std::string& what, double a, double b, double tol) {
  check_rel(what, &a, &b, 1, tol);
}

template <class E = std::invalid_argument, class F>
void check_throws_naming(const std::string& what, F&& f, const std::string& needle) {
  ++checks;
  try {
    f();
  } catch (const E& e) {
    if (std::string(e.what()).find(needle) != std::string::npos) {
      std::printf("  ok   %-52s (%s)\n", what.c_str(), e.what());
      return;
    }
    ++failures;
    std::printf("  FAIL %s: message does not name '%s': %s\n", what.c_str(), needle.c_str(), e.what());
    return;
  } catch (const std::exception& e) {
    ++failures;
    std::printf("  FAIL %s: threw something else: %s\n", what.c_str(), e.what());
    return;
  }
  ++failures;
  std::printf("  FAIL %s: did not throw\n", what.c_str());
}

// ---- data -----------------------------------------------------------------------------------

struct dataset {
  long n0 = 64;
  long N = 0;
  vec X;               // n0 × N column-major, pixel / 16
  std::vector<int> y;  // labels
};

std::string read_text(const std::string& path) {
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  if (gz) {
#if SC_HAVE_ZLIB
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("cannot open " + path);
    std::string text;
    char buf[1 << 16];
    int got;
    while ((got = gzread(f, buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(got));
    gzclose(f);
    if (got < 0) throw std::runtime_error("gzread failed on " + path);
    return text;
#else
    throw std::runtime_error("built without zlib: decompress " + path + " first (gzip -dc)");
#endif
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The UCI digits: rows of 64 pixel values 0..16 then the label; the first `take` rows.
dataset load_digits(const std::string& path, long take) {
  std::istringstream in(read_text(path));
  dataset d;
  std::string line;
  while (d.N < take && std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string cell;
    std::vector<double> values;
    while (std::getline(ls, cell, ',')) values.push_back(std::stod(cell));
    if (values.size() != 65) throw std::runtime_error("digits: a row without 65 values: " + line);
    for (int k = 0; k < 64; ++k) d.X.push_back(values[k] / 16.0);
    d.y.push_back(static_cast<int>(values[64]));
    ++d.N;
  }
  if (d.N != take) throw std::runtime_error("digits: fewer rows than " + std::to_string(take));
  return d;
}

dataset head(const dataset& d, long n) {
  dataset h;
  h.n0 = d.n0;
  h.N = n;
  h.X.assign(d.X.begin(), d.X.begin() + d.n0 * n);
  h.y.assign(d.y.begin(), d.y.begin() + n);
  return h;
}

// ---- the independent CPU reference: per-sample plain loops ----------------------------------

struct net {
  std::vector<long> n;  // widths
  int L = 0;
  std::vector<size_t> offW, offB;
  size_t p = 0;

  explicit net(std::vector<long> widths) : n(std::move(widths)) {
    L = static_cast<int>(n.size()) - 1;
    offW.assign(L + 1, 0);
    offB.assign(L + 1, 0);
    for (int l = 1; l <= L; ++l) {
      offW[l] = p;
      p += static_cast<size_t>(n[l] * n[l - 1]);
      offB[l] = p;
      p += static_cast<size_t>(n[l]);
    }
  }
};

struct work {
  std::vector<vec> a, e, q, ra, re;
  vec z, prob, rz;
  explicit work(const net& nt) : a(nt.L + 1), e(nt.L + 1), q(nt.L + 1), ra(nt.L + 1), re(nt.L + 1) {
    for (int l = 0; l <= nt.L; ++l) {
      const size_t w = static_cast<size_t>(nt.n[l]);
      a[l].assign(w, 0.0);
      e[l].assign(w, 0.0);
      q[l].assign(w, 0.0);
      ra[l].assign(w, 0.0);
      re[l].assign(w, 0.0);
    }
    z.assign(static_cast<size_t>(nt.n[nt.L]), 0.0);
    prob = z;
    rz = z;
  }
};

struct sample_out {
  double loss = 0;
  bool hit = false;
  double g2_factored = 0;  // Σ_l |e_l|² (|a_{l-1}|² + 1)
};

// One sample: loss; g (p, cross-entropy part) unless null; hv (p, R(∂ℓ)) when v and hv are
// given.  The math of the issue, literally.
sample_out one_sample(const net& nt, const double* th, const double* v, const double* x, int y,
                      double* g, double* hv, work& w) {
  const int L = nt.L;
  sample_out r;
  for (long m = 0; m < nt.n[0]; ++m) w.a[0][m] = x[m];
  for (int l = 1; l <= L; ++l) {
    const long in = nt.n[l - 1], out = nt.n[l];
    const double* W = th + nt.offW[l];
    const double* b = th + nt.offB[l];
    for (long j = 0; j < out; ++j) {
      double s = b[j];
      for (long m = 0; m < in; ++m) s += W[j * in + m] * w.a[l - 1][m];
      if (l < L)
        w.a[l][j] = std::tanh(s);
      else
        w.z[j] = s;
    }
  }
  const long C = nt.n[L];
  double mx = w.z[0];
  long arg = 0;
  for (long j = 1; j < C; ++j)
    if (w.z[j] > mx) {
      mx = w.z[j];
      arg = j;
    }
  double sum = 0;
  for (long j = 0; j < C; ++j) sum += std::exp(w.z[j] - mx);
  r.loss = mx + std::log(sum) - w.z[y];
  r.hit = (arg == y);
  for (long j = 0; j < C; ++j) {
    w.prob[j] = std::exp(w.z[j] - mx) / sum;
    w.e[L][j] = w.prob[j] - (j == y ? 1.0 : 0.0);
  }
  for (int l = L; l >= 1; --l) {
    const long in = nt.n[l - 1], out = nt.n[l];
    const double* W = th + nt.offW[l];
    double e2 = 0, a2 = 0;
    for (long j = 0; j < out; ++j) e2 += w.e[l][j] * w.e[l][j];
    for (long m = 0; m < in; ++m) a2 += w.a[l - 1][m] * w.a[l - 1][m];
    r.g2_factored += e2 * (a2 + 1.0);
    if (g) {
      for (long j = 0; j < out; ++j) {
        for (long m = 0; m < in; ++m) g[nt.offW[l] + j * in + m] = w.e[l][j] * w.a[l - 1][m];
        g[nt.offB[l] + j] = w.e[l][j];
      }
    }
    if (l > 1) {
      std::fill(w.q[l - 1].begin(), w.q[l - 1].end(), 0.0);
      for (long j = 0; j < out; ++j)
        for (long m = 0; m < in; ++m) w.q[l - 1][m] += W[j * in + m] * w.e[l][j];
      for (long m = 0; m < in; ++m) {
        const double a = w.a[l - 1][m];
        w.e[l - 1][m] = w.q[l - 1][m] * (1.0 - a * a);
      }
    }
  }
  if (!v || !hv) return r;
  // R-forward
  std::fill(w.ra[0].begin(), w.ra[0].end(), 0.0);
  for (int l = 1; l <= L; ++l) {
    const long in = nt.n[l - 1], out = nt.n[l];
    const double* W = th + nt.offW[l];
    const double* V = v + nt.offW[l];
    const double* vb = v + nt.offB[l];
    for (long j = 0; j < out; ++j) {
      double s = vb[j];
      for (long m = 0; m < in; ++m) s += V[j * in + m] * w.a[l - 1][m] + W[j * in + m] * w.ra[l - 1][m];
      if (l < L)
        w.ra[l][j] = (1.0 - w.a[l][j] * w.a[l][j]) * s;
      else
        w.rz[j] = s;
    }
  }
  double pr = 0;
  for (long j = 0; j < C; ++j) pr += w.prob[j] * w.rz[j];
  for (long j = 0; j < C; ++j) w.re[L][j] = w.prob[j] * w.rz[j] - w.prob[j] * pr;
  // R-backward
  for (int l = L; l >= 1; --l) {
    const long in = nt.n[l - 1], out = nt.n[l];
    const double* W = th + nt.offW[l];
    const double* V = v + nt.offW[l];
    for (long j = 0; j < out; ++j) {
      for (long m = 0; m < in; ++m)
        hv[nt.offW[l] + j * in + m] = w.re[l][j] * w.a[l - 1][m] + w.e[l][j] * w.ra[l - 1][m];
      hv[nt.offB[l] + j] = w.re[l][j];
    }
    if (l > 1) {
      vec t(static_cast<size_t>(in), 0.0);
      for (long j = 0; j < out; ++j)
        for (long m = 0; m < in; ++m) t[m] += V[j * in + m] * w.e[l][j] + W[j * in + m] * w.re[l][j];
      for (long m = 0; m < in; ++m) {
        const double a = w.a[l - 1][m];
        w.re[l - 1][m] = t[m] * (1.0 - a * a) - 2.0 * w.q[l - 1][m] * a * w.ra[l - 1][m];
      }
    }
  }
  return r;
}

struct reference {
  double value = 0;
  vec grad;  // ℓ2 included
  vec hvp;   // ℓ2 included
  vec dv;    // D v (cross-entropy gradients only)
  double trace = 0;           // (1/N) Σ |g_i − ḡ|²
  double trace_factored = 0;  // (1/N) Σ Σ_l |e|²(|a|²+1) − |ḡ|², the formula of the GPU side
  double accuracy = 0;
  vec G;     // N × p column-major (with αθ), when asked for
  vec rows;  // rows.size() × p column-major (with αθ)
};

int thread_count() {
  const unsigned h = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(h == 0 ? 1u : h, 1u, 16u));
}

// f(begin, end, t) over T contiguous chunks of [0, N), one thread each.
void parallel_chunks(long N, int T, const std::function<void(long, long, int)>& f) {
  std::vector<std::thread> threads;
  for (int t = 0; t < T; ++t) {
    const long b = N * t / T, e = N * (t + 1) / T;
    threads.emplace_back([&f, b, e, t] { f(b, e, t); });
  }
  for (auto& th : threads) th.join();
}

reference compute_reference(const net& nt, const dataset& d, const vec& theta, const vec& v,
                            double alpha, bool want_G, const std::vector<long>& rows) {
  const size_t p = nt.p;
  const long N = d.N;
  const int T = static_cast<int>(std::min<long>(thread_count(), N));
  reference r;
  if (want_G) r.G.assign(static_cast<size_t>(N) * p, 0.0);
  r.rows.assign(rows.size() * p, 0.0);
  vec u(static_cast<size_t>(N)), g2f(static_cast<size_t>(N));
  std::vector<vec> gsum(T, vec(p, 0.0)), hsum(T, vec(p, 0.0));
  vec loss_sum(T, 0.0), hits(T, 0.0);
  parallel_chunks(N, T, [&](long b, long e, int t) {
    work w(nt);
    vec g(p), hv(p);
    for (long i = b; i < e; ++i) {
      sample_out s = one_sample(nt, theta.data(), v.data(), &d.X[static_cast<size_t>(i * d.n0)],
                                d.y[i], g.data(), hv.data(), w);
      loss_sum[t] += s.loss;
      hits[t] += s.hit ? 1.0 : 0.0;
      g2f[i] = s.g2_factored;
      double ui = 0;
      for (size_t k = 0; k < p; ++k) {
        gsum[t][k] += g[k];
        hsum[t][k] += hv[k];
        ui += g[k] * v[k];
      }
      u[i] = ui;
      if (want_G)
        for (size_t k = 0; k < p; ++k) r.G[i + N * k] = g[k] + alpha * theta[k];
      for (size_t q = 0; q < rows.size(); ++q)
        if (rows[q] == i)
          for (size_t k = 0; k < p; ++k) r.rows[q + rows.size() * k] = g[k] + alpha * theta[k];
    }
  });
  vec gbar(p, 0.0);
  r.grad.assign(p, 0.0);
  r.hvp.assign(p, 0.0);
  double lsum = 0, hsum_total = 0, th2 = 0;
  for (int t = 0; t < T; ++t) {
    lsum += loss_sum[t];
    hsum_total += hits[t];
    for (size_t k = 0; k < p; ++k) {
      gbar[k] += gsum[t][k];
      r.hvp[k] += hsum[t][k];
    }
  }
  for (size_t k = 0; k < p; ++k) {
    gbar[k] /= N;
    r.grad[k] = gbar[k] + alpha * theta[k];
    r.hvp[k] = r.hvp[k] / N + alpha * v[k];
    th2 += theta[k] * theta[k];
  }
  r.value = lsum / N + 0.5 * alpha * th2;
  r.accuracy = hsum_total / N;
  double ubar = 0, g2mean = 0, gbar2 = 0;
  for (long i = 0; i < N; ++i) {
    ubar += u[i];
    g2mean += g2f[i];
  }
  ubar /= N;
  g2mean /= N;
  for (size_t k = 0; k < p; ++k) gbar2 += gbar[k] * gbar[k];
  r.trace_factored = g2mean - gbar2;

  // Second pass: D v = (1/N) Σ (u_i − ū) g_i and trace = (1/N) Σ |g_i − ḡ|², by definition.
  std::vector<vec> dsum(T, vec(p, 0.0));
  vec tr(T, 0.0);
  parallel_chunks(N, T, [&](long b, long e, int t) {
    work w(nt);
    vec g(p);
    for (long i = b; i < e; ++i) {
      one_sample(nt, theta.data(), nullptr, &d.X[static_cast<size_t>(i * d.n0)], d.y[i],
                 g.data(), nullptr, w);
      const double c = u[i] - ubar;
      double ti = 0;  // per sample first: fewer rounding steps in the long sum
      for (size_t k = 0; k < p; ++k) {
        dsum[t][k] += c * g[k];
        const double dk = g[k] - gbar[k];
        ti += dk * dk;
      }
      tr[t] += ti;
    }
  });
  r.dv.assign(p, 0.0);
  r.trace = 0;
  for (int t = 0; t < T; ++t) {
    for (size_t k = 0; k < p; ++k) r.dv[k] += dsum[t][k];
    r.trace += tr[t];
  }
  for (size_t k = 0; k < p; ++k) r.dv[k] /= N;
  r.trace /= N;
  return r;
}

// θ: LeCun N(0, 1/in) weights, N(0, 0.1²) biases; v ~ N(0, 1).
vec initial_theta(const net& nt, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  vec th(nt.p);
  for (int l = 1; l <= nt.L; ++l) {
    const double sd = 1.0 / std::sqrt(static_cast<double>(nt.n[l - 1]));
    for (long k = 0; k < nt.n[l] * nt.n[l - 1]; ++k) th[nt.offW[l] + k] = sd * normal(rng);
    for (long j = 0; j < nt.n[l]; ++j) th[nt.offB[l] + j] = 0.1 * normal(rng);
  }
  return th;
}

vec random_direction(size_t p, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  vec v(p);
  for (auto& x : v) x = normal(rng);
  return v;
}

std::string widths_name(const std::vector<long>& w) {
  std::ostringstream s;
  for (size_t k = 0; k < w.size(); ++k) s << (k ? "-" : "") << w[k];
  return s.str();
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---- checks that need no device ------------------------------------------------------------

void check_arguments(const dataset& d) {
  std::printf("argument validation (no device needed)\n");
  const double* X = d.X.data();
  const int* y = d.y.data();
  check_throws_naming("widths with one entry", [&] { mlp_cuda({64}, X, y, d.N, 1e-3); }, "mlp_cuda");
  check_throws_naming("a zero width", [&] { mlp_cuda({64, 0, 10}, X, y, d.N, 1e-3); }, "mlp_cuda");
  check_throws_naming("no samples", [&] { mlp_cuda({64, 10}, X, y, 0, 1e-3); }, "mlp_cuda");
  check_throws_naming("negative alpha", [&] { mlp_cuda({64, 10}, X, y, d.N, -1.0); }, "-1");
  std::vector<int> bad(d.y);
  bad[3] = 10;
  check_throws_naming("a label outside [0, n_L)", [&] { mlp_cuda({64, 10}, X, bad.data(), d.N, 1e-3); },
                      "got 10");
  check_throws_naming("fewer classes than a label", [&] { mlp_cuda({64, 5}, X, y, d.N, 1e-3); },
                      "mlp_cuda");
  Eigen::MatrixXd F = Eigen::Map<const Eigen::MatrixXd>(X, d.n0, d.N);
  std::vector<int> fewer(d.y.begin(), d.y.end() - 1);
  check_throws_naming("adapter: N features, N-1 labels",
                      [&] { shiftcurv_examples::network::mlp_cuda_loss({64, 10}, F, fewer, 1e-3); },
                      "mlp_cuda_loss");
}

// The reference against finite differences and its own definitions (64-24-16-10, 200 samples).
void check_reference(const dataset& train) {
  std::printf("CPU reference self-check: finite differences, 64-24-16-10 on 200 samples\n");
  const dataset d = head(train, 200);
  const net nt({64, 24, 16, 10});
  const double alpha = 1e-3;
  const vec th = initial_theta(nt, 11);
  const vec v = random_direction(nt.p, 12);
  const reference r = compute_reference(nt, d, th, v, alpha, true, {0, 7, 199});
  const double h = 1e-5;
  vec tp(th), tm(th);
  for (size_t k = 0; k < nt.p; ++k) {
    tp[k] += h * v[k];
    tm[k] -= h * v[k];
  }
  const reference rp = compute_reference(nt, d, tp, v, alpha, false, {});
  const reference rm = compute_reference(nt, d, tm, v, alpha, false, {});
  double gv = 0;
  for (size_t k = 0; k < nt.p; ++k) gv += r.grad[k] * v[k];
  check_rel("gradient·v vs (U(θ+hv) − U(θ−hv))/2h", gv, (rp.value - rm.value) / (2 * h), 1e-7);
  vec fd(nt.p);
  for (size_t k = 0; k < nt.p; ++k) fd[k] = (rp.grad[k] - rm.grad[k]) / (2 * h);
  check_rel("HVP vs (∇U(θ+hv) − ∇U(θ−hv))/2h", r.hvp, fd, 1e-6);
  // From the stored per-sample gradients, by definition.
  const long N = d.N;
  vec gbar(nt.p, 0.0), dv(nt.p, 0.0), mean_row(nt.p, 0.0);
  for (size_t k = 0; k < nt.p; ++k) {
    for (long i = 0; i < N; ++i) mean_row[k] += r.G[i + N * k];
    mean_row[k] /= N;
    gbar[k] = mean_row[k] - alpha * th[k];
  }
  check_rel("mean of the per-sample rows vs the gradient", mean_row, r.grad, 1e-13);
  double tr = 0;
  for (long i = 0; i < N; ++i) {
    double c = 0;
    for (size_t k = 0; k < nt.p; ++k) c += (r.G[i + N * k] - alpha * th[k] - gbar[k]) * v[k];
    for (size_t k = 0; k < nt.p; ++k) {
      const double dk = r.G[i + N * k] - alpha * th[k] - gbar[k];
      dv[k] += c * dk / N;
      tr += dk * dk / N;
    }
  }
  check_rel("D·v vs (1/N) Σ (g_i−ḡ)(g_i−ḡ)ᵀv from G", r.dv, dv, 1e-12);
  check_rel("trace vs (1/N) Σ |g_i−ḡ|² from G", r.trace, tr, 1e-12);
  check_rel("trace: the factored |g_i|² formula", r.trace_factored, r.trace, 1e-10);
  vec row7(nt.p);
  for (size_t k = 0; k < nt.p; ++k) row7[k] = r.rows[1 + 3 * k] - r.G[7 + N * k];
  ++checks;
  if (norm(row7.data(), nt.p) != 0) {
    ++failures;
    std::printf("  FAIL selected row 7 differs from G's row 7\n");
  }
}

// ---- the CPU backend written beside this one (examples/network/mlp.hpp) --------------------

#if SC_HAVE_CPU_BACKEND
// The one place that depends on how mlp_loss is constructed: the data stays alive beside it.
struct cpu_backend {
  shiftcurv_examples::network::labeled_data data;
  shiftcurv_examples::network::mlp_loss<double> loss;
  cpu_backend(const std::vector<long>& widths, const dataset& d, double alpha)
      : data{Eigen::Map<const Eigen::MatrixXd>(d.X.data(), d.n0, d.N), d.y},
        loss(shiftcurv_examples::network::mlp_shape{std::vector<shiftcurv::index>(widths.begin(), widths.end())},
             data, alpha) {}
};
#endif

vec to_vec(const Eigen::VectorXd& x) {
  vec r(static_cast<size_t>(x.size()));
  for (Eigen::Index k = 0; k < x.size(); ++k) r[static_cast<size_t>(k)] = x[k];
  return r;
}

[[maybe_unused]] vec to_vec(const Eigen::MatrixXd& x) {  // column-major, as the reference's G
  vec r(static_cast<size_t>(x.size()));
  for (Eigen::Index k = 0; k < x.size(); ++k) r[static_cast<size_t>(k)] = x.data()[k];
  return r;
}

bool bitwise_equal(const Eigen::VectorXd& a, const vec& b) {
  if (static_cast<size_t>(a.size()) != b.size()) return false;
  for (size_t k = 0; k < b.size(); ++k)
    if (a[static_cast<Eigen::Index>(k)] != b[k]) return false;
  return true;
}

// ---- the Eigen adapter mlp_cuda_loss: minibatches, float32, its argument checks --------------

// G (N × p column-major, the reference's): the mean of the rows `rows` (repetitions counted).
vec mean_of_rows(const vec& G, long N, size_t p, const std::vector<long>& rows) {
  vec m(p, 0.0);
  for (size_t k = 0; k < p; ++k) {
    for (long i : rows) m[k] += G[static_cast<size_t>(i) + static_cast<size_t>(N) * k];
    m[k] /= static_cast<double>(rows.size());
  }
  return m;
}

void check_adapter(const std::vector<long>& widths, const dataset& train, const vec& th, const vec& v,
                   const reference& ref, double alpha) {
  using shiftcurv_examples::network::mlp_cuda_loss;
  const long N = train.N;
  const auto p = static_cast<Eigen::Index>(th.size());
  std::printf(" mlp_cuda_loss: minibatches, float32 against float64, argument checks\n");
  const Eigen::MatrixXd F = Eigen::Map<const Eigen::MatrixXd>(train.X.data(), train.n0, N);
  const std::vector<Eigen::Index> w(widths.begin(), widths.end());
  const mlp_cuda_loss f64(w, F, train.y, alpha, cuda_precision::float64);
  const mlp_cuda_loss f32(w, F, train.y, alpha, cuda_precision::float32);
  const Eigen::VectorXd eth = Eigen::Map<const Eigen::VectorXd>(th.data(), p);
  const Eigen::VectorXd ev = Eigen::Map<const Eigen::VectorXd>(v.data(), p);

  // A minibatch with repeated rows is the mean of the reference's rows, each counted as often
  // as it is drawn (SGD with replacement); float64 to the per-sample gradients' 1e-10.
  const std::vector<long> rows{3, 3, 0, N - 1, 3, N / 2, 0};
  const std::vector<Eigen::Index> erows(rows.begin(), rows.end());
  const vec want = mean_of_rows(ref.G, N, th.size(), rows);
  Eigen::VectorXd g;
  f64.minibatch_gradient(eth, erows, g);
  check_rel("minibatch_gradient, rows 3 3 0 N-1 3 N/2 0 (float64)", to_vec(g), want, 1e-10);
  Eigen::VectorXd g1;
  f64.minibatch_gradient(eth, {N - 1}, g1);
  check_rel("minibatch_gradient, one row N-1 (float64)", to_vec(g1), mean_of_rows(ref.G, N, th.size(), {N - 1}), 1e-10);
  Eigen::VectorXd g32;
  f32.minibatch_gradient(eth, erows, g32);
  check_rel("minibatch_gradient, the same rows (float32)", to_vec(g32), want, 1e-4);

  // float32 against float64 through the adapter: the float tolerances of the raw interface
  // (1e-4 value and gradient: a few float roundings of O(1) sums; 1e-3 for the products HVP,
  // D·v, trace of more rounded factors).
  check_rel("float32 vs float64: value", f32.mean_value(eth), f64.mean_value(eth), 1e-4);
  check_rel("float32 vs float64: gradient", to_vec(f32.mean_gradient(eth)), to_vec(f64.mean_gradient(eth)), 1e-4);
  check_rel("float32 vs float64: HVP", to_vec(f32.mean_hvp(eth, ev)), to_vec(f64.mean_hvp(eth, ev)), 1e-3);
  check_rel("float32 vs float64: D·v", to_vec(f32.covariance_apply(eth, ev)), to_vec(f64.covariance_apply(eth, ev)), 1e-3);
  check_rel("float32 vs float64: trace(D)", f32.covariance_trace(eth), f64.covariance_trace(eth), 1e-3);

  // Bad θ, v or rows: invalid_argument naming the member, before any device work.
  const Eigen::VectorXd shorter = eth.head(p - 1);
  Eigen::VectorXd nan_theta = eth, inf_v = ev;
  nan_theta[p / 2] = std::numeric_limits<double>::quiet_NaN();
  inf_v[1] = std::numeric_limits<double>::infinity();
  check_throws_naming("mean_value: θ of p-1 entries", [&] { (void)f64.mean_value(shorter); },
                      "mlp_cuda_loss::mean_value: theta must have dimension() = " + std::to_string(p));
  check_throws_naming("mean_gradient: a NaN in θ", [&] { (void)f64.mean_gradient(nan_theta); },
                      "mlp_cuda_loss::mean_gradient: theta[" + std::to_string(p / 2) + "] is not finite");
  check_throws_naming("sample_gradients: a NaN in θ", [&] { (void)f64.sample_gradients(nan_theta); },
                      "mlp_cuda_loss::sample_gradients");
  check_throws_naming("mean_hvp: an inf in v", [&] { (void)f64.mean_hvp(eth, inf_v); },
                      "mlp_cuda_loss::mean_hvp: v[1] is not finite");
  check_throws_naming("covariance_apply: v of p-1 entries", [&] { (void)f64.covariance_apply(eth, shorter); },
                      "mlp_cuda_loss::covariance_apply: v must have");
  check_throws_naming("covariance_trace: a NaN in θ (float32)", [&] { (void)f32.covariance_trace(nan_theta); },
                      "mlp_cuda_loss::covariance_trace");
  check_throws_naming("accuracy: θ of p-1 entries", [&] { (void)f64.accuracy(shorter); }, "mlp_cuda_loss::accuracy");
  Eigen::VectorXd out;
  check_throws_naming("minibatch_gradient: a NaN in θ", [&] { f64.minibatch_gradient(nan_theta, erows, out); },
                      "mlp_cuda_loss::minibatch_gradient: theta[");
  check_throws_naming("minibatch_gradient: no rows", [&] { f64.minibatch_gradient(eth, {}, out); },
                      "mlp_cuda_loss::minibatch_gradient: the minibatch is empty");
  check_throws_naming("minibatch_gradient: row N", [&] { f64.minibatch_gradient(eth, {0, N}, out); },
                      "mlp_cuda_loss::minibatch_gradient: sample index " + std::to_string(N));
  check_throws_naming("minibatch_gradient: row -1", [&] { f64.minibatch_gradient(eth, {-1}, out); },
                      "sample index -1");
  // and the adapter still works after the refusals
  check_rel("minibatch_gradient after the refusals", to_vec([&] { Eigen::VectorXd x; f64.minibatch_gradient(eth, erows, x); return x; }()), want, 1e-10);
}

#if SC_HAVE_SGD
// 20 steps of the library's SGD (sgd_iterates: B = 16 with replacement, λ = 0.2, seed 5) on the
// CUDA loss and on the CPU backend mlp_loss<double>: the minibatch indices come from the
// library's Philox streams, keyed by (seed, trajectory, step), not from the backend, so both
// runs take the same steps and differ only by the rounding of their minibatch gradients.
// Measured relative to each record's displacement |θ_t − θ_0| (stricter than to |θ_t|): a
// per-step gradient difference ε|g| (ε ~ 1e-15 in float64, ~1e-7 in float32: the checks
// above) is carried on by I − λH_B, which over 20 short steps from θ_0 amplifies it little
// (the host emulation sees 1e-15 and 2e-7 for the worst record).  Tolerances 1e-8 (float64)
// and 1e-3 (float32, the interface's own float tolerance) leave ≥ 1e3 for the device's other
// summation orders and any growth along the run, and are far below what a wrong step gives: a
// missing αθ alone moves a record by ~α|θ|/|g| ~ 1e-2 of its displacement, another minibatch
// by O(1) (the different-seed check).
void check_sgd_trajectory(const std::vector<long>& widths, const dataset& train, const vec& th, double alpha) {
  using shiftcurv_examples::network::mlp_cuda_loss;
  std::printf(" SGD: 20 steps of sgd_iterates on mlp_cuda_loss vs on mlp_loss<double> (same seed)\n");
  const std::vector<Eigen::Index> w(widths.begin(), widths.end());
  const cpu_backend cpu(widths, train, alpha);
  const Eigen::MatrixXd F = Eigen::Map<const Eigen::MatrixXd>(train.X.data(), train.n0, train.N);
  const Eigen::VectorXd theta0 = Eigen::Map<const Eigen::VectorXd>(th.data(), static_cast<Eigen::Index>(th.size()));
  shiftcurv::sgd_options o;
  o.learning_rate = 0.2;
  o.batch_size = 16;
  shiftcurv::sgd_record_options rec;
  rec.records = 20;
  rec.seed = 5;
  const auto want = shiftcurv::sgd_iterates(cpu.loss, theta0, o, rec);
  CHECK(want.status == shiftcurv::status::success && want.iterates.cols() == 20);
  const double moved = (want.iterates.col(19) - theta0).norm();
  CHECK(moved > 1e-3 * theta0.norm());  // the run goes somewhere
  for (cuda_precision prec : {cuda_precision::float64, cuda_precision::float32}) {
    const bool f64 = prec == cuda_precision::float64;
    const mlp_cuda_loss gpu(w, F, train.y, alpha, prec);
    const auto got = shiftcurv::sgd_iterates(gpu, theta0, o, rec);
    CHECK(got.status == shiftcurv::status::success && got.iterates.cols() == 20);
    if (got.iterates.cols() != 20) continue;
    double worst = 0;
    for (Eigen::Index t = 0; t < 20; ++t)
      worst = std::max(worst, (got.iterates.col(t) - want.iterates.col(t)).norm() /
                                  (want.iterates.col(t) - theta0).norm());
    // one number per precision: the worst record's relative difference
    check_rel(std::string("SGD records 1..20 vs the CPU backend, worst (") + (f64 ? "float64" : "float32") + ")",
              worst, 0.0, f64 ? 1e-8 : 1e-3);
    // and a different seed gives a different run (the indices do come from the seed)
    if (f64) {
      shiftcurv::sgd_record_options other = rec;
      other.seed = 6;
      const auto diff = shiftcurv::sgd_iterates(gpu, theta0, o, other);
      CHECK((diff.iterates.col(19) - want.iterates.col(19)).norm() > 1e-6 * moved);
    }
  }
}
#endif

// ---- one net ----------------------------------------------------------------------------------

struct bench_row {
  std::string op, backend, precision;
  long p;
  double median_ms;
};

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  const size_t n = x.size();
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

void check_net(const std::vector<long>& widths, const dataset& train, bool quick, bool timing,
               std::vector<bench_row>& bench) {
  const double alpha = 1e-3;
  const net nt(widths);
  const size_t p = nt.p;
  const long N = train.N;
  const bool full_G = p < 100000;  // the 1024 net's G is 9 GB: compare a few rows only
  const std::vector<long> rows{0, 1, N / 2, N - 2, N - 1};
  std::printf("\nnet %s  p = %zu  N = %ld\n", widths_name(widths).c_str(), p, N);
  const vec th = initial_theta(nt, 1000 + p);
  const vec v = random_direction(p, 2000 + p);

  auto t0 = std::chrono::steady_clock::now();
  const reference ref = compute_reference(nt, train, th, v, alpha, full_G, rows);
  std::printf("  reference (plain loops, %d threads): %.2f s; value %.6f, accuracy %.3f, trace %.6e\n",
              thread_count(), seconds_since(t0), ref.value, ref.accuracy, ref.trace);

  for (cuda_precision prec : {cuda_precision::float64, cuda_precision::float32}) {
    const bool f64 = prec == cuda_precision::float64;
    const char* pname = f64 ? "float64" : "float32";
    const double tol1 = f64 ? 1e-10 : 1e-4;  // value, gradient, per-sample gradients
    const double tol2 = f64 ? 1e-10 : 1e-3;  // HVP, D·v, trace
    std::printf(" %s\n", pname);
    mlp_cuda gpu(widths, train.X.data(), train.y.data(), N, alpha, prec);
    CHECK(gpu.dimension() == static_cast<long>(p));
    CHECK(gpu.num_samples() == N);

    const double value = gpu.mean_value(th.data());
    check_rel("value", value, ref.value, tol1);
    vec grad(p), hvp(p), dv(p);
    gpu.mean_gradient(th.data(), grad.data());
    check_rel("gradient", grad, ref.grad, tol1);
    gpu.mean_hvp(th.data(), v.data(), hvp.data());
    check_rel("HVP", hvp, ref.hvp, tol2);
    gpu.covariance_apply(th.data(), v.data(), dv.data());
    check_rel("D·v", dv, ref.dv, tol2);
    check_rel("trace(D)", gpu.covariance_trace(th.data()), ref.trace, tol2);
    const double acc = gpu.accuracy(th.data());
    ++checks;
    if (std::abs(acc - ref.accuracy) > (f64 ? 0.5 : 3.5) / N) {
      ++failures;
      std::printf("  FAIL accuracy %.4f vs reference %.4f\n", acc, ref.accuracy);
    } else {
      std::printf("  ok   accuracy %.4f (reference %.4f)\n", acc, ref.accuracy);
    }

    vec R(rows.size() * p);
    gpu.sample_gradient_rows(th.data(), rows.data(), static_cast<long>(rows.size()), R.data());
    check_rel("per-sample gradients, rows 0 1 N/2 N-2 N-1", R, ref.rows, tol1);
    if (full_G) {
      vec G(static_cast<size_t>(N) * p);
      gpu.sample_gradients(th.data(), G.data());
      check_rel("per-sample gradients, all of G (N × p)", G, ref.G, tol1);
    }

    // Replays see new inputs; replays are deterministic; graphs change nothing.
    vec hvp2(p), dv2(p);
    gpu.mean_hvp(th.data(), v.data(), hvp2.data());
    ++checks;
    if (hvp2 != hvp) {
      ++failures;
      std::printf("  FAIL a second HVP is not bitwise the first (rel %.3e)\n",
                  rel_diff(hvp2.data(), hvp.data(), p));
    }
    gpu.use_graphs(false);
    gpu.mean_hvp(th.data(), v.data(), hvp2.data());
    gpu.covariance_apply(th.data(), v.data(), dv2.data());
    gpu.use_graphs(true);
    check_rel("HVP without graphs vs with", hvp2, hvp, 1e-13);
    check_rel("D·v without graphs vs with", dv2, dv, 1e-13);
    if (f64 && !quick && p < 100000) {
      vec th2(th);
      for (size_t k = 0; k < p; ++k) th2[k] += 0.05 * v[k];
      const reference ref2 = compute_reference(nt, train, th2, v, alpha, false, {});
      check_rel("value at a second θ (graph replay, new θ)", gpu.mean_value(th2.data()), ref2.value, tol1);
      gpu.mean_gradient(th2.data(), grad.data());
      check_rel("gradient at a second θ", grad, ref2.grad, tol1);
      gpu.mean_hvp(th2.data(), v.data(), hvp2.data());
      check_rel("HVP at a second θ", hvp2, ref2.hvp, tol2);
      // The device-resident interface at the second θ: upload, two runs enqueued back to back,
      // then the last one's result.
      vec r2(p);
      gpu.upload(th2.data(), v.data());
      gpu.run(cuda_op::value);
      gpu.run(cuda_op::covariance_apply);
      gpu.download(r2.data());
      check_rel("upload + run + download: D·v at a second θ", r2, ref2.dv, tol2);
      gpu.run(cuda_op::value);
      gpu.download(r2.data());
      check_rel("upload + run + download: value at a second θ", r2[0], ref2.value, tol1);
      gpu.mean_gradient(th.data(), grad.data());  // back, for the adapter check
    }
    {
      // The device-resident interface: upload + run + download give the reference's numbers,
      // and bitwise the host interface's (the same graph replays).
      const double trace = gpu.covariance_trace(th.data());
      vec out(full_G ? static_cast<size_t>(N) * p : p);
      gpu.upload(th.data(), v.data());
      gpu.run(cuda_op::value);
      gpu.download(out.data());
      check_rel("upload + run + download: value", out[0], ref.value, tol1);
      CHECK(out[0] == value);
      gpu.run(cuda_op::gradient);
      gpu.download(out.data());
      check_rel("upload + run + download: gradient", out.data(), ref.grad.data(), p, tol1);
      CHECK(std::equal(grad.begin(), grad.end(), out.begin()));
      gpu.run(cuda_op::hvp);
      gpu.download(out.data());
      check_rel("upload + run + download: HVP", out.data(), ref.hvp.data(), p, tol2);
      CHECK(std::equal(hvp.begin(), hvp.end(), out.begin()));
      gpu.run(cuda_op::covariance_apply);
      gpu.download(out.data());
      check_rel("upload + run + download: D·v", out.data(), ref.dv.data(), p, tol2);
      CHECK(std::equal(dv.begin(), dv.end(), out.begin()));
      gpu.run(cuda_op::covariance_trace);
      gpu.download(out.data());
      check_rel("upload + run + download: trace(D)", out[0], ref.trace, tol2);
      CHECK(out[0] == trace);
      gpu.run(cuda_op::accuracy);
      gpu.download(out.data());
      CHECK(out[0] == acc);
      if (full_G) {
        gpu.run(cuda_op::sample_gradients);
        gpu.download(out.data());
        check_rel("upload + run + download: per-sample gradients (N × p)", out, ref.G, tol1);
      }
      // A new θ uploaded is what the next run reads (v stays).
      vec th3(th), want(p);
      for (size_t k = 0; k < p; ++k) th3[k] -= 0.03 * v[k];
      gpu.mean_hvp(th3.data(), v.data(), want.data());
      gpu.upload(th.data(), v.data());
      gpu.run(cuda_op::gradient);
      gpu.upload(th3.data());
      gpu.run(cuda_op::hvp);
      gpu.download(out.data());
      CHECK(std::equal(want.begin(), want.end(), out.begin()));
    }
    if (p < 100000) {
      mlp_cuda fresh(widths, train.X.data(), train.y.data(), N, alpha, prec);
      double none = 0;
      check_throws_naming<std::logic_error>("download before any run", [&] { fresh.download(&none); },
                                            "mlp_cuda::download");
    }
    if (f64 && p < 100000) {
      // The Eigen adapter gives the raw interface's numbers.
      Eigen::MatrixXd F = Eigen::Map<const Eigen::MatrixXd>(train.X.data(), train.n0, N);
      shiftcurv_examples::network::mlp_cuda_loss adapter(std::vector<Eigen::Index>(widths.begin(), widths.end()),
                                                F, train.y, alpha);
      const Eigen::VectorXd eth = Eigen::Map<const Eigen::VectorXd>(th.data(), static_cast<Eigen::Index>(p));
      const Eigen::VectorXd ev = Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(p));
      CHECK(adapter.dimension() == static_cast<Eigen::Index>(p));
      CHECK(bitwise_equal(adapter.mean_gradient(eth), grad));
      CHECK(bitwise_equal(adapter.mean_hvp(eth, ev), hvp));
      CHECK(bitwise_equal(adapter.covariance_apply(eth, ev), dv));
      CHECK(adapter.mean_value(eth) == value);
      const Eigen::MatrixXd G = adapter.sample_gradients(eth);
      CHECK(G.rows() == N && G.cols() == static_cast<Eigen::Index>(p));
      vec last(p);  // row N-1 of the reference: rows[4]
      for (size_t k = 0; k < p; ++k) last[k] = ref.rows[4 + rows.size() * k];
      check_rel("adapter: sample_gradients row N-1", to_vec(Eigen::VectorXd(G.row(N - 1).transpose())), last, tol1);
    }

    if (!timing) continue;
    // Throughput: device-resident, median of 20 after 3 warm-ups.
    const int reps = quick ? 5 : 20;
    gpu.upload(th.data(), v.data());
    const std::pair<cuda_op, const char*> ops[] = {{cuda_op::gradient, "grad"},
                                                   {cuda_op::hvp, "hvp"},
                                                   {cuda_op::sample_gradients, "per_sample"},
                                                   {cuda_op::covariance_apply, "dv"}};
    for (bool graphs : {true, false}) {
      gpu.use_graphs(graphs);
      for (const auto& [op, name] : ops) {
        for (int k = 0; k < 3; ++k) gpu.run(op);
        gpu.synchronize();
        std::vector<double> ms;
        for (int k = 0; k < reps; ++k) {
          auto t = std::chrono::steady_clock::now();
          gpu.run(op);
          gpu.synchronize();
          ms.push_back(1e3 * seconds_since(t));
        }
        bench.push_back({name, graphs ? "cuda" : "cuda_nograph", pname, static_cast<long>(p), median(ms)});
      }
    }
    gpu.use_graphs(true);
  }

  if (p < 100000) check_adapter(widths, train, th, v, ref, alpha);
#if SC_HAVE_SGD
  if (p < 100000) check_sgd_trajectory(widths, train, th, alpha);
#endif

#if SC_HAVE_CPU_BACKEND
  {
    std::printf(" CPU backend mlp_loss<double> vs the reference\n");
    cpu_backend cpu(widths, train, alpha);
    const Eigen::VectorXd eth = Eigen::Map<const Eigen::VectorXd>(th.data(), static_cast<Eigen::Index>(p));
    const Eigen::VectorXd ev = Eigen::Map<const Eigen::VectorXd>(v.data(), static_cast<Eigen::Index>(p));
    check_rel("mlp_loss: value", cpu.loss.mean_value(eth), ref.value, 1e-10);
    check_rel("mlp_loss: gradient", to_vec(cpu.loss.mean_gradient(eth)), ref.grad, 1e-10);
    check_rel("mlp_loss: HVP", to_vec(cpu.loss.mean_hvp(eth, ev)), ref.hvp, 1e-10);
    check_rel("mlp_loss: D·v", to_vec(cpu.loss.covariance_apply(eth, ev)), ref.dv, 1e-10);
    check_rel("mlp_loss: trace(D)", cpu.loss.covariance_trace(eth), ref.trace, 1e-10);
    if (full_G) {
      const Eigen::MatrixXd G = cpu.loss.sample_gradients(eth);
      check_rel("mlp_loss: per-sample gradients", to_vec(G), ref.G, 1e-10);
    }
    const int reps = quick ? 2 : 5;
    if (timing) {
      auto time_cpu = [&](const char* name, const std::function<void()>& f) {
        f();
        std::vector<double> ms;
        for (int k = 0; k < reps; ++k) {
          auto t = std::chrono::steady_clock::now();
          f();
          ms.push_back(1e3 * seconds_since(t));
        }
        bench.push_back({name, "cpu_mlp_loss", "float64", static_cast<long>(p), median(ms)});
      };
      time_cpu("grad", [&] { (void)cpu.loss.mean_gradient(eth); });
      time_cpu("hvp", [&] { (void)cpu.loss.mean_hvp(eth, ev); });
      time_cpu("dv", [&] { (void)cpu.loss.covariance_apply(eth, ev); });
      if (full_G) time_cpu("per_sample", [&] { (void)cpu.loss.sample_gradients(eth); });
    }
  }
#endif
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, csv;
  bool quick = false, small = false, timing = true;
  std::vector<std::vector<long>> nets;
  for (int k = 1; k < argc; ++k) {
    const std::string a = argv[k];
    if (a.rfind("--csv=", 0) == 0)
      csv = a.substr(6);
    else if (a == "--quick")
      quick = true;
    else if (a == "--small")
      small = true;
    else if (a == "--no-bench")
      timing = false;
    else if (a.rfind("--net=", 0) == 0) {
      std::vector<long> w;
      std::istringstream s(a.substr(6));
      std::string cell;
      while (std::getline(s, cell, '-')) w.push_back(std::stol(cell));
      if (w.size() < 2 || w.front() != 64 || w.back() != 10) {
        std::fprintf(stderr, "--net: 64-...-10, got %s\n", a.c_str());
        return 1;
      }
      nets.push_back(w);
    }
    else if (!a.empty() && a[0] != '-' && path.empty())
      path = a;
    else {
      std::fprintf(stderr, "usage: %s DIGITS.csv[.gz] [--csv=FILE] [--quick] [--small] [--no-bench] [--net=64-..-10]\n", argv[0]);
      return 1;
    }
  }
  if (path.empty()) {
#ifdef SHIFTCURV_DIGITS_PATH
    path = SHIFTCURV_DIGITS_PATH;
#else
    std::fprintf(stderr, "usage: %s DIGITS.csv[.gz] [--csv=FILE] [--quick] [--small] [--no-bench] [--net=64-..-10]\n", argv[0]);
    return 1;
#endif
  }
  dataset train;
  try {
    train = load_digits(path, 1000);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gpu_mlp_test: %s\n", e.what());
    return 1;
  }
  std::printf("gpu_mlp_test: %ld training digits from %s; CPU backend comparison %s\n", train.N,
              path.c_str(), SC_HAVE_CPU_BACKEND ? "compiled in" : "not compiled in");

  try {
    check_arguments(train);
    check_reference(train);
  } catch (const std::exception& e) {
    std::printf("FAIL: exception in the device-free checks: %s\n", e.what());
    ++failures;
  }
  if (failures) {
    std::printf("\n%d of %d checks FAILED (device-free part)\n", failures, checks);
    return 1;
  }
  if (!mlp_cuda::device_available()) {
    std::printf("\nno CUDA device: the %d device-free checks passed; the GPU checks are skipped "
                "(exit 77)\n", checks);
    return 77;
  }

  std::vector<bench_row> bench;
  if (nets.empty()) nets = {{64, 24, 16, 10}, {64, 128, 128, 10}, {64, 1024, 1024, 10}};
  for (const auto& w : nets) {
    if (small && w[1] > 128) continue;
    try {
      check_net(w, train, quick, timing, bench);
    } catch (const std::exception& e) {
      ++failures;
      std::printf("FAIL: exception on net %s: %s\n", widths_name(w).c_str(), e.what());
    }
  }

  std::ostringstream table;
  table << "op,backend,precision,p,median_ms\n";
  for (const auto& b : bench) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.4f", b.median_ms);
    table << b.op << ',' << b.backend << ',' << b.precision << ',' << b.p << ',' << ms << '\n';
  }
  std::printf("\nthroughput (median ms of %d device-resident runs after 3 warm-ups; cpu_mlp_loss: "
              "median of %d)\n%s", quick ? 5 : 20, quick ? 2 : 5, table.str().c_str());
  if (!csv.empty()) {
    std::ofstream out(csv);
    out << table.str();
  }
  std::printf("\n%s: %d of %d checks failed\n", failures ? "FAILED" : "passed", failures, checks);
  return failures ? 1 : 0;
}
