// examples/cli/args.hpp — the command-line contract shared by every example program, without
// the library's heavy headers (so a program that needs only this compiles fast): `--name=value`
// values parsed strictly, usage errors exit with code 2 and ONE line on stderr naming the flag
// and the value, other failures exit 1 with one line.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <CLI/CLI.hpp>

namespace shiftcurv_examples::cli {

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

/// The whole (trimmed) token as a finite double (a leading '+' allowed), else nullopt.
inline std::optional<double> to_number(std::string_view token) {
  const std::string t = trim(token);
  double x = 0;
  const char* first = t.data();
  const char* last = t.data() + t.size();
  if (!t.empty() && *first == '+') ++first;
  const auto [ptr, ec] = std::from_chars(first, last, x);
  if (t.empty() || ec != std::errc() || ptr != last || !std::isfinite(x)) return std::nullopt;
  return x;
}

/// The whole (trimmed) token as an integer of type Int, else nullopt ("-1" is no uint64_t).
template <class Int = long>
std::optional<Int> to_integer(std::string_view token) {
  const std::string t = trim(token);
  Int n = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), n);
  if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) return std::nullopt;
  return n;
}

/// A finite double, the whole token consumed; `flag` and the full value go in the message.
inline double parse_number(std::string_view flag, std::string_view token, std::string_view whole) {
  const auto x = to_number(token);
  if (!x) fail(flag, "'" + trim(token) + "' is not a finite number", whole);
  return *x;
}

/// "a,b,c": each comma-separated token through `item(token)`, the one splitter of the list flags.
/// An empty value fails with `empty_message`; an empty item goes to `item`, which rejects it.
/// (Not CLI11's ->delimiter(','): CLI11 2.1 drops empty items, so "4,,2" would read as "4,2".)
template <class Item>
auto parse_items(std::string_view flag, std::string_view value, std::string_view empty_message, Item&& item) {
  std::vector<std::decay_t<decltype(item(value))>> out;
  if (trim(value).empty()) fail(flag, empty_message, value);
  for (std::size_t start = 0;;) {
    const auto comma = value.find(',', start);
    out.push_back(item(value.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

inline std::vector<double> parse_list(std::string_view flag, std::string_view value) {
  return parse_items(flag, value, "expected a comma-separated list of numbers",
                     [&](std::string_view t) { return parse_number(flag, t, value); });
}

inline long parse_count(std::string_view flag, std::string_view value) {
  const auto n = to_integer(value);
  if (!n) fail(flag, "expected an integer", value);
  if (*n <= 0) fail(flag, "must be > 0", value);
  return *n;
}

inline double parse_positive(std::string_view flag, std::string_view value) {
  const double x = parse_number(flag, value, value);
  if (!(x > 0)) fail(flag, "must be > 0", value);
  return x;
}

// ---- CLI11 validators -----------------------------------------------------------------------
// For options stored as numbers: `->transform(cli::integer_in(1, 100))` and the like.  CLI11
// 2.1's own conversion, which CLI::Range and CLI::PositiveNumber use too, is laxer than this
// contract: it reads "010" as octal 8, wraps "-1" into a uint64_t and reads doubles through long
// double (a second rounding).  These check the token with std::from_chars, fail with this
// contract's message ("--flag: <what> (got '<value>')", exit 2 through run()), and rewrite the
// token to a text that CLI11's conversion reads back exactly (decimal, or a hexadecimal float).
namespace detail {
inline std::string got(std::string_view what, std::string_view value) {
  return std::string(what) + " (got '" + std::string(value) + "')";
}
inline std::string exact_text(double x) {
  char b[64];
  std::snprintf(b, sizeof b, "%a", x);
  return b;
}
}  // namespace detail

/// An integer in [lo, hi].
inline CLI::Validator integer_in(long lo, long hi) {
  const std::string range = "[" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, range](std::string& s) -> std::string {
        const auto n = to_integer(s);
        if (!n) return detail::got("expected an integer", s);
        if (*n < lo || *n > hi) return detail::got("must be in " + range, s);
        s = std::to_string(*n);
        return {};
      },
      range, "integer_in");
}

/// An integer > 0 (a count).
inline CLI::Validator positive_integer() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const auto n = to_integer(s);
        if (!n) return detail::got("expected an integer", s);
        if (*n <= 0) return detail::got("must be > 0", s);
        s = std::to_string(*n);
        return {};
      },
      "POSITIVE", "positive_integer");
}

/// A non-negative 64-bit integer (a seed).
inline CLI::Validator seed() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const auto n = to_integer<std::uint64_t>(s);
        if (!n) return detail::got("expected a non-negative integer", s);
        s = std::to_string(*n);
        return {};
      },
      "", "seed");
}

/// A finite number > 0; `why`, if given, is said after "must be > 0".
inline CLI::Validator positive_number(std::string why = {}) {
  const std::string must = why.empty() ? "must be > 0" : "must be > 0 (" + why + ")";
  return CLI::Validator(
      [must](std::string& s) -> std::string {
        const auto x = to_number(s);
        if (!x) return detail::got("'" + trim(s) + "' is not a finite number", s);
        if (!(*x > 0)) return detail::got(must, s);
        s = detail::exact_text(*x);
        return {};
      },
      "POSITIVE", "positive_number");
}

/// Runs `body` with the exit-code contract: 0 on success, 2 and one stderr line on a usage
/// error (CLI11's or ours, or a shiftcurv invalid_argument/domain_error), 1 on a runtime failure
/// (any other exception, of any type).
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
  } catch (...) {  // a non-exception type thrown by user code: still one line and exit 1
    std::cerr << program << ": error: an exception of unknown type\n";
    return 1;
  }
}

}  // namespace shiftcurv_examples::cli
