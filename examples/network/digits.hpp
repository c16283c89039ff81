// examples/network/digits.hpp — the UCI optical-recognition handwritten digits (8×8 images,
// 1797 samples, 10 classes; CC BY 4.0, see examples/data/README.md) as labelled data.
//
//   auto [train, test] = shiftcurv_examples::network::load_digits("examples/data/digits.csv.gz");
//   train.size();          // 1000 (the first 1000 rows), test.size() == 797 (the other rows)
//   train.features;        // 64 × 1000, column j = sample j, pixel values scaled by 1/16
//   train.labels[j];       // 0 … 9
//
// The file has one sample per line: 64 pixel values 0–16, then the label, comma-separated.
// It is read gzip-compressed through zlib when the build has it (SHIFTCURV_HAVE_ZLIB), or as a
// plain CSV (a name not ending in .gz is always read as plain text).  A missing, unreadable or
// malformed file throws shiftcurv::invalid_argument naming the file, the line and the field.
// Only Eigen and the Boost-free core headers are used (the GPU test build has no Boost).
#pragma once

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#if defined(SHIFTCURV_HAVE_ZLIB)
#include <zlib.h>
#endif

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

#include "network/library_names.hpp"

namespace shiftcurv_examples::network {

/// Inputs as columns (features: d × N) and integer class labels (N of them).
struct labeled_data {
  matrix features;
  std::vector<int> labels;
  index size() const { return static_cast<index>(labels.size()); }
  index input_dimension() const { return features.rows(); }

  /// The samples `rows` (in that order) as a new data set.
  labeled_data subset(const std::vector<index>& rows) const {
    labeled_data s;
    s.features.resize(features.rows(), static_cast<index>(rows.size()));
    s.labels.resize(rows.size());
    for (std::size_t k = 0; k < rows.size(); ++k) {
      if (rows[k] < 0 || rows[k] >= size())
        shiftcurv::detail::throw_invalid("network::labeled_data::subset", "row ", rows[k], " is outside [0, ", size(), ")");
      s.features.col(static_cast<index>(k)) = features.col(rows[k]);
      s.labels[k] = labels[static_cast<std::size_t>(rows[k])];
    }
    return s;
  }
};

struct digits_split {
  labeled_data train;
  labeled_data test;
};

namespace detail {

/// All lines of a text file, gzip-compressed or plain.
inline std::vector<std::string> read_lines(std::string_view fn, const std::string& path) {
  std::vector<std::string> lines;
  std::string current;
  char buf[1 << 15];
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  auto push = [&](const char* data, std::size_t n) {
    for (std::size_t k = 0; k < n; ++k) {
      if (data[k] == '\n') {
        if (!current.empty() && current.back() == '\r') current.pop_back();
        lines.push_back(std::move(current));
        current.clear();
      } else {
        current.push_back(data[k]);
      }
    }
  };
  if (gz) {
#if defined(SHIFTCURV_HAVE_ZLIB)
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) shiftcurv::detail::throw_invalid(fn, "cannot open the data file '", path, "'");
    int n = 0;
    while ((n = gzread(f, buf, sizeof buf)) > 0) push(buf, static_cast<std::size_t>(n));
    int errnum = 0;
    const char* err = gzerror(f, &errnum);
    const bool bad = n < 0 || (errnum != Z_OK && errnum != Z_STREAM_END);
    const std::string what = bad ? std::string(err ? err : "read error") : std::string();
    gzclose(f);
    if (bad) shiftcurv::detail::throw_invalid(fn, "the data file '", path, "' is not valid gzip: ", what);
#else
    shiftcurv::detail::throw_invalid(fn, "'", path, "' is gzip-compressed but this build has no zlib; "
                                     "decompress it (gzip -dc) and pass the .csv");
#endif
  } else {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) shiftcurv::detail::throw_invalid(fn, "cannot open the data file '", path, "'");
    std::size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) push(buf, n);
    const bool bad = std::ferror(f) != 0;
    std::fclose(f);
    if (bad) shiftcurv::detail::throw_invalid(fn, "read error on the data file '", path, "'");
  }
  if (!current.empty()) lines.push_back(std::move(current));
  return lines;
}

}  // namespace detail

/// Reads a CSV of `dimension` feature columns then an integer label per line; features are
/// multiplied by `scale` and must lie in [0, max_feature]; labels in [0, classes).
inline labeled_data load_labeled_csv(const std::string& path, index dimension, int classes,
                                     double max_feature, double scale) {
  constexpr std::string_view fn = "network::load_digits";
  const std::vector<std::string> lines = detail::read_lines(fn, path);
  std::vector<std::vector<double>> rows;
  std::vector<int> labels;
  for (std::size_t ln = 0; ln < lines.size(); ++ln) {
    const std::string& line = lines[ln];
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
    std::vector<double> row;
    const char* p = line.c_str();
    for (;;) {
      char* end = nullptr;
      const double x = std::strtod(p, &end);
      const std::size_t field = row.size() + 1;
      if (end == p || !std::isfinite(x))
        shiftcurv::detail::throw_invalid(fn, "'", path, "' line ", ln + 1, ": field ", field, " is not a number");
      row.push_back(x);
      while (*end == ' ' || *end == '\t') ++end;
      if (*end == '\0') break;
      if (*end != ',')
        shiftcurv::detail::throw_invalid(fn, "'", path, "' line ", ln + 1, ": unexpected character '", *end,
                                         "' after field ", field);
      p = end + 1;
    }
    if (static_cast<index>(row.size()) != dimension + 1)
      shiftcurv::detail::throw_invalid(fn, "'", path, "' line ", ln + 1, " has ", row.size(), " fields, expected ",
                                       dimension + 1, " (", dimension, " features and a label)");
    const double y = row.back();
    if (y != std::floor(y) || y < 0 || y >= classes)
      shiftcurv::detail::throw_invalid(fn, "'", path, "' line ", ln + 1, ": label ", y, " is not an integer in [0, ",
                                       classes, ")");
    for (index j = 0; j < dimension; ++j)
      if (row[static_cast<std::size_t>(j)] < 0 || row[static_cast<std::size_t>(j)] > max_feature)
        shiftcurv::detail::throw_invalid(fn, "'", path, "' line ", ln + 1, ": feature ", j + 1, " = ",
                                         row[static_cast<std::size_t>(j)], " is outside [0, ", max_feature, "]");
    labels.push_back(static_cast<int>(y));
    row.pop_back();
    rows.push_back(std::move(row));
  }
  if (rows.empty()) shiftcurv::detail::throw_invalid(fn, "'", path, "' has no data rows");
  labeled_data d;
  d.features.resize(dimension, static_cast<index>(rows.size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (index j = 0; j < dimension; ++j) d.features(j, static_cast<index>(i)) = rows[i][static_cast<std::size_t>(j)] * scale;
  d.labels = std::move(labels);
  return d;
}

/// The digits: features scaled by 1/16, the first `train_rows` rows (1000) for training and
/// the rest (797) for testing.  Throws if the file has no more than `train_rows` rows.
inline digits_split load_digits(const std::string& path, index train_rows = 1000) {
  const labeled_data all = load_labeled_csv(path, 64, 10, 16.0, 1.0 / 16.0);
  if (train_rows < 1 || train_rows >= all.size())
    shiftcurv::detail::throw_invalid("network::load_digits", "'", path, "' has ", all.size(),
                                     " rows; need more than the ", train_rows, " training rows");
  std::vector<index> tr, te;
  for (index i = 0; i < all.size(); ++i) (i < train_rows ? tr : te).push_back(i);
  return {all.subset(tr), all.subset(te)};
}

/// Where the vendored file is, as the build knows it (examples/data/digits.csv.gz).
inline std::string default_digits_path() {
#if defined(SHIFTCURV_DIGITS_PATH)
  return SHIFTCURV_DIGITS_PATH;
#else
  return "examples/data/digits.csv.gz";
#endif
}

}  // namespace shiftcurv_examples::network
