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
// to_table(result) for the library's main result structs is defined beside each struct (its
// columns are listed there); io/csv_table.hpp holds the table itself.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/io/csv_table.hpp"

namespace shiftcurv {

/// An input/output failure (a file that cannot be created, written or renamed).
class io_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

}  // namespace shiftcurv
