// shiftcurv/io/csv_table.hpp — a table of numbers and texts and its CSV text (io/csv.hpp writes
// it to a file atomically).  Algorithms define `to_table(result)` beside their result structs.
//
//   shiftcurv::csv_table t({"T", "train_loss", "status"});
//   t.add_row({0.1, -0.0838, "success"});
//   std::string text = t.str();          // "T,train_loss,status\n0.10000000000000001,-0.0838,success\n"
//
// Numbers are written with 17 significant digits ("%.17g": read back bit-identical), non-finite
// ones as nan, inf, -inf; a text field is quoted when it needs to be (RFC 4180).
// Throws shiftcurv::invalid_argument for a row whose length differs from the header's.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "shiftcurv/core/errors.hpp"

namespace shiftcurv {

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
/// name_0, name_1, …, name_{n-1} appended to a header.
inline void append_indexed(std::vector<std::string>& h, const std::string& name, long n) {
  for (long i = 0; i < n; ++i) h.push_back(name + "_" + std::to_string(i));
}
}  // namespace detail

}  // namespace shiftcurv
