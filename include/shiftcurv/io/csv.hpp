// shiftcurv/io/csv.hpp — a small results writer: tables of numbers and texts written as CSV,
// atomically, plus to_table() overloads for the library's main result structs.
//
//   shiftcurv::csv_table t({"T", "train_loss", "status"});
//   t.add_row({0.1, -0.0838, "success"});
//   shiftcurv::write_csv("results/run1.csv", t);        // atomic: never a partial file at the path
//   shiftcurv::write_csv(std::cout, t);                 // or any stream
//   shiftcurv::write_csv("basins.csv", shiftcurv::to_table(steady_state));   // a result struct
//
// Format (RFC 4180 with LF line ends): one header line of column names, then one line per
// row.  Numbers are written with 17 significant digits ("%.17g": a double read back with
// strtod is bit-identical), non-finite ones as nan, inf and -inf.  A text field (or a column
// name) is quoted with "…" when it contains a comma, a quote, CR, LF, leading or trailing
// blanks, or is empty; quotes inside are doubled.
//
// Atomicity: write_csv(path, …) writes the whole text to a new temporary file in the
// directory of `path` (named .<name>.tmp.<pid>.<n>, created exclusively, so concurrent
// writers in one or several processes never share one) and renames it over `path`: a reader
// sees the old file or the complete new one, never a part; on any failure the temporary is
// removed and `path` is untouched.  The data are not fsync'ed (atomic, not durable against a
// power loss).
//
// Errors: a row whose length differs from the header throws invalid_argument
// ("shiftcurv::csv_table::add_row: …"); an I/O failure throws shiftcurv::io_error whose
// message starts with the function called ("shiftcurv::write_csv: cannot create a file in
// 'dir/' for 'dir/x.csv': No such file or directory").
//
// to_table() overloads (each a short function; columns as listed):
//   line_integral_result     value, error_estimate, l1_norm, status, message, evaluations
//   minimum_result           theta_0…, value, gradient_0…, status, message, iterations
//   langevin_1d_result       one row per snapshot: time, particles, mean/error of train and
//                            test loss, mean_theta, variance_theta, occupancy_k, occupancy_error_k
//   steady_state_1d          one row per basin: basin, lower, upper, minimum, probability,
//                            log_probability, error_estimate
//   gaussian_mixture_result  one row per component: component, status, weight, log_weight,
//                            v_mu, width, width_ratio, theta_train_i, mu_i, bias_i,
//                            covariance_i_j (p² entries, row-major), message
//   test_loss_prediction_result one row per basin and a last row "overall": basin, weight,
//                            depth, shift_curvature, bias_curvature, covariance_curvature,
//                            total_eq4, total_eq7 (weight nan where failed basins were left out
//                            of the decomposition, so rows no longer align with `basins`)
// They are templates on the struct (declared here, defined where the struct is), so this
// header includes none of the algorithms: include the algorithm's header as well.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <concepts>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"

namespace shiftcurv {

/// An input/output failure (a file that cannot be created, written or renamed).
class io_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One field: a number (any arithmetic type, stored as double) or a text.
class csv_cell {
 public:
  csv_cell(double x) : v_(x) {}  // NOLINT: implicit on purpose (rows as brace lists)
  template <class I>
    requires std::integral<I> && (!std::same_as<I, bool>) && (!std::same_as<I, char>)
  csv_cell(I i) : v_(static_cast<double>(i)) {}  // NOLINT
  csv_cell(std::string s) : v_(std::move(s)) {}  // NOLINT
  csv_cell(const char* s) : v_(std::string(s)) {}  // NOLINT
  csv_cell(std::string_view s) : v_(std::string(s)) {}  // NOLINT

  bool is_number() const { return std::holds_alternative<double>(v_); }
  double number() const { return std::get<double>(v_); }
  const std::string& text() const { return std::get<std::string>(v_); }

 private:
  std::variant<double, std::string> v_;
};

/// A number as CSV text: %.17g (round-trip exact), nan, inf, -inf.
inline std::string csv_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

/// A text as a CSV field: quoted (inner quotes doubled) where it needs to be.
inline std::string csv_field(std::string_view s) {
  const bool quote = s.empty() || s.find_first_of(",\"\r\n") != std::string_view::npos || s.front() == ' ' ||
                     s.front() == '\t' || s.back() == ' ' || s.back() == '\t';
  if (!quote) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

/// A table: column names and rows of fields, each row as long as the header.
struct csv_table {
  std::vector<std::string> header;
  std::vector<std::vector<csv_cell>> rows;

  csv_table() = default;
  explicit csv_table(std::vector<std::string> names) : header(std::move(names)) {}

  /// Appends a row; throws invalid_argument if its length is not the header's.
  csv_table& add_row(std::vector<csv_cell> row) {
    if (row.size() != header.size())
      detail::throw_invalid("csv_table::add_row", "the row has ", row.size(), " fields but the header has ",
                            header.size(), " columns");
    rows.push_back(std::move(row));
    return *this;
  }

  /// The whole table as CSV text (throws invalid_argument for a row of the wrong length).
  std::string str() const {
    std::string s;
    for (std::size_t j = 0; j < header.size(); ++j) {
      if (j) s += ',';
      s += csv_field(header[j]);
    }
    s += '\n';
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto& r = rows[i];
      if (r.size() != header.size())
        detail::throw_invalid("csv_table", "row ", i, " has ", r.size(), " fields but the header has ",
                              header.size(), " columns");
      for (std::size_t j = 0; j < r.size(); ++j) {
        if (j) s += ',';
        s += r[j].is_number() ? csv_number(r[j].number()) : csv_field(r[j].text());
      }
      s += '\n';
    }
    return s;
  }
};

namespace detail {

[[noreturn]] inline void throw_io(std::string_view fn, const std::string& what, int err) {
  throw io_error(message(fn, what, ": ", std::strerror(err)));
}

/// Writes `text` to a fresh temporary next to `path`, then renames it over `path`.
inline void write_file_atomically(std::string_view fn, const std::filesystem::path& path, std::string_view text) {
  static std::atomic<unsigned long> counter{0};
  namespace fs = std::filesystem;
  if (path.empty() || !path.has_filename()) throw_invalid(fn, "the path '", path.string(), "' names no file");
  const fs::path dir = path.parent_path();
  const std::string shown_dir = dir.empty() ? std::string("./") : dir.string() + "/";
  fs::path tmp;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    std::string name(1, '.');
    name.append(path.filename().string()).append(".tmp.").append(std::to_string(::getpid()));
    name.append(1, '.').append(std::to_string(counter.fetch_add(1)));
    tmp = dir / name;
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST)
      throw_io(fn, "cannot create a file in '" + shown_dir + "' for '" + path.string() + "'", errno);
  }
  if (fd < 0) throw_io(fn, "cannot create a unique temporary file for '" + path.string() + "'", EEXIST);
  auto fail = [&](const std::string& what, int err) {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    throw_io(fn, what, err);
  };
  std::size_t done = 0;
  while (done < text.size()) {
    const ::ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot write '" + tmp.string() + "'", errno);
    }
    done += static_cast<std::size_t>(n);
  }
  const int rc = ::close(fd);
  fd = -1;
  if (rc != 0) fail("cannot write '" + tmp.string() + "'", errno);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    fail("cannot rename '" + tmp.string() + "' to '" + path.string() + "'", errno);
}

}  // namespace detail

/// Writes the table to `path` atomically (see the header comment); throws io_error.
inline void write_csv(const std::filesystem::path& path, const csv_table& table) {
  detail::write_file_atomically("write_csv", path, table.str());
}

/// Writes the table to a stream; throws io_error if the stream fails.
inline void write_csv(std::ostream& os, const csv_table& table) {
  os << table.str();
  os.flush();
  if (!os) throw io_error(detail::message("write_csv", "the output stream failed"));
}

// ---- result structs -> tables ------------------------------------------------------------------
// Declared here, completed by the algorithm headers; each overload is a template constrained to
// one struct, so its body is compiled only where that struct's header is included.
struct line_integral_result;
struct minimum_result;
struct langevin_1d_result;
class steady_state_1d;
struct gaussian_mixture_result;
struct test_loss_prediction_result;

namespace detail {
inline void append_indexed(std::vector<std::string>& h, const std::string& name, long n) {
  for (long i = 0; i < n; ++i) h.push_back(name + "_" + std::to_string(i));
}
}  // namespace detail

template <std::same_as<line_integral_result> R>
csv_table to_table(const R& r) {
  csv_table t({"value", "error_estimate", "l1_norm", "status", "message", "evaluations"});
  t.add_row({r.value, r.error_estimate, r.l1_norm, to_string(r.status), r.message, r.evaluations});
  return t;
}

template <std::same_as<minimum_result> R>
csv_table to_table(const R& r) {
  std::vector<std::string> h;
  detail::append_indexed(h, "theta", static_cast<long>(r.theta.size()));
  h.push_back("value");
  detail::append_indexed(h, "gradient", static_cast<long>(r.gradient.size()));
  for (const char* c : {"status", "message", "iterations"}) h.push_back(c);
  csv_table t(std::move(h));
  std::vector<csv_cell> row;
  for (long i = 0; i < static_cast<long>(r.theta.size()); ++i) row.emplace_back(r.theta(i));
  row.emplace_back(r.value);
  for (long i = 0; i < static_cast<long>(r.gradient.size()); ++i) row.emplace_back(r.gradient(i));
  row.emplace_back(std::string(to_string(r.status)));
  row.emplace_back(r.message);
  row.emplace_back(r.iterations);
  t.add_row(std::move(row));
  return t;
}

template <std::same_as<langevin_1d_result> R>
csv_table to_table(const R& r) {
  const long K = r.snapshots.empty() ? 0 : static_cast<long>(r.snapshots.front().occupancy.size());
  std::vector<std::string> h{"time",           "particles",      "mean_train_loss", "train_loss_error",
                             "mean_test_loss", "test_loss_error", "mean_theta",      "variance_theta"};
  detail::append_indexed(h, "occupancy", K);
  detail::append_indexed(h, "occupancy_error", K);
  csv_table t(std::move(h));
  for (const auto& s : r.snapshots) {
    std::vector<csv_cell> row{s.time,           s.particles,       s.mean_train_loss, s.train_loss_error,
                              s.mean_test_loss, s.test_loss_error, s.mean_theta,      s.variance_theta};
    for (long k = 0; k < K; ++k) row.emplace_back(s.occupancy.at(k));
    for (long k = 0; k < K; ++k) row.emplace_back(s.occupancy_error.at(k));
    t.add_row(std::move(row));
  }
  return t;
}

template <std::same_as<steady_state_1d> S>
csv_table to_table(const S& ss) {
  csv_table t({"basin", "lower", "upper", "minimum", "probability", "log_probability", "error_estimate"});
  long k = 0;
  for (const auto& b : ss.basins())
    t.add_row({k++, b.lower, b.upper, b.minimum, b.probability, b.log_probability, b.error_estimate});
  return t;
}

template <std::same_as<gaussian_mixture_result> R>
csv_table to_table(const R& r) {
  const long p = r.components.empty() ? 0 : static_cast<long>(r.components.front().mu.size());
  std::vector<std::string> h{"component", "status", "weight", "log_weight", "v_mu", "width", "width_ratio"};
  detail::append_indexed(h, "theta_train", p);
  detail::append_indexed(h, "mu", p);
  detail::append_indexed(h, "bias", p);
  for (long i = 0; i < p; ++i) detail::append_indexed(h, "covariance_" + std::to_string(i), p);
  h.push_back("message");
  csv_table t(std::move(h));
  long k = 0;
  for (const auto& c : r.components) {
    std::vector<csv_cell> row{k++, std::string(to_string(c.status)), c.weight, c.log_weight, c.v_mu, c.width,
                              c.width_ratio};
    // A failed component may carry empty vectors: its fields are written as nan.
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    auto entry = [](const auto& v, long i) { return i < static_cast<long>(v.size()) ? double(v(i)) : nan; };
    for (const auto* v : {&c.theta_train, &c.mu, &c.bias})
      for (long i = 0; i < p; ++i) row.emplace_back(entry(*v, i));
    for (long i = 0; i < p; ++i)
      for (long j = 0; j < p; ++j)
        row.emplace_back(i < c.covariance.rows() && j < c.covariance.cols() ? double(c.covariance(i, j)) : nan);
    row.emplace_back(c.message);
    t.add_row(std::move(row));
  }
  return t;
}

template <std::same_as<test_loss_prediction_result> R>
csv_table to_table(const R& r) {
  csv_table t({"basin", "weight", "depth", "shift_curvature", "bias_curvature", "covariance_curvature", "total_eq4",
               "total_eq7"});
  auto add = [&t](csv_cell name, double w, const auto& d) {
    t.add_row({std::move(name), w, d.depth, d.shift_curvature, d.bias_curvature, d.covariance_curvature, d.total_eq4,
               d.total_eq7});
  };
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const auto& per = r.decomposition.per_basin;
  // per_basin[k] belongs to basins[k] when none was left out; otherwise the weight is unknown here.
  const bool aligned = per.size() == r.basins.size();
  for (std::size_t k = 0; k < per.size(); ++k) add(static_cast<long>(k), aligned ? r.basins[k].weight : nan, per[k]);
  double wsum = 0;
  for (const auto& b : r.basins) wsum += b.weight;
  add("overall", wsum, r.decomposition.overall);
  return t;
}

}  // namespace shiftcurv
