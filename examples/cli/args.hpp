// examples/cli/args.hpp — the command-line contract shared by every example program, without
// the library's heavy headers (so a program that needs only this compiles fast): `--name=value`
// values parsed strictly, usage errors exit with code 2 and ONE line on stderr naming the flag
// and the value, other failures exit 1 with one line.
#pragma once

#include <charconv>
#include <cmath>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace cli {

/// A command-line mistake: main() prints "<program>: <what>" and exits with code 2.
struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(std::string_view flag, std::string_view what, std::string_view value) {
  std::ostringstream os;
  os << flag << ": " << what << " (got '" << value << "')";
  throw usage_error(os.str());
}

inline std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

/// A finite double, the whole token consumed; `flag` and the full value go in the message.
inline double parse_number(std::string_view flag, std::string_view token, std::string_view whole) {
  const std::string t = trim(token);
  double x = 0;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (!t.empty() && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, x);
  if (t.empty() || ec != std::errc() || ptr != last || !std::isfinite(x))
    fail(flag, "'" + t + "' is not a finite number", whole);
  return x;
}

inline std::vector<double> parse_list(std::string_view flag, std::string_view value) {
  std::vector<double> out;
  if (trim(value).empty()) fail(flag, "expected a comma-separated list of numbers", value);
  std::size_t start = 0;
  while (true) {
    const auto comma = value.find(',', start);
    out.push_back(parse_number(flag, value.substr(start, comma - start), value));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

inline long parse_count(std::string_view flag, std::string_view value) {
  const std::string t = trim(value);
  long n = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) fail(flag, "expected an integer", value);
  if (n <= 0) fail(flag, "must be > 0", value);
  return n;
}

inline double parse_positive(std::string_view flag, std::string_view value) {
  const double x = parse_number(flag, value, value);
  if (!(x > 0)) fail(flag, "must be > 0", value);
  return x;
}

/// Runs `body` with the exit-code contract: 0 on success, 2 and one stderr line on a usage
/// error (CLI11's or ours, or a shiftcurv invalid_argument/domain_error), 1 on a runtime failure.
template <class Body>
int run(std::string_view program, CLI::App& app, int argc, char** argv, Body&& body) {
  try {
    try {
      // `--flag=` with nothing after '=': CLI11 would take the next argument as the value.
      for (int k = 1; k < argc; ++k) {
        const std::string_view a = argv[k];
        if (a.size() > 3 && a.substr(0, 2) == "--" && a.back() == '=')
          fail(a.substr(0, a.size() - 1), "expected a value after '='", a);
      }
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
      std::cout << app.help();
      return 0;
    } catch (const CLI::ParseError& e) {
      throw usage_error(e.what());
    }
    return body();
  } catch (const usage_error& e) {
    std::cerr << program << ": " << e.what() << '\n';
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << program << ": " << e.what() << '\n';
    return 2;
  } catch (const std::domain_error& e) {
    std::cerr << program << ": " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << program << ": error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace cli
