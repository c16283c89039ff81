// The one status rule (core/status.hpp): the severity order, worse() as the maximum of that
// order (commutative, associative, success its identity), and record_status: the combined
// status does not depend on the order in which parts are recorded, the messages do (joined
// in order with "; ").
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "shiftcurv/core/status.hpp"

namespace sc = shiftcurv;

namespace {
// Least to most severe, as documented in core/status.hpp (written out here independently).
constexpr std::array<sc::status, 6> by_severity{sc::status::success,        sc::status::tolerance_not_met,
                                                sc::status::assumption_violated, sc::status::max_iterations,
                                                sc::status::not_converged,  sc::status::numerical_issue};

// A per-component row: record_status works on any type with `status` and `message`.
struct row {
  sc::status status = sc::status::success;
  std::string message;
};
}  // namespace

TEST_CASE("severity: success < tolerance_not_met < assumption_violated < max_iterations < not_converged < numerical_issue") {
  for (std::size_t i = 0; i < by_severity.size(); ++i) CHECK(sc::severity(by_severity[i]) == static_cast<int>(i));
  // Flags (numbers usable) rank below failures (numbers not to be used).
  for (sc::status flag : by_severity)
    for (sc::status failure : by_severity)
      if (flag != sc::status::success && !sc::is_failure(flag) && sc::is_failure(failure))
        CHECK(sc::severity(flag) < sc::severity(failure));
}

TEST_CASE("worse(): the more severe status; commutative, associative, idempotent, success the identity") {
  for (std::size_t i = 0; i < by_severity.size(); ++i) {
    const sc::status a = by_severity[i];
    CHECK(sc::worse(a, a) == a);
    CHECK(sc::worse(a, sc::status::success) == a);
    CHECK(sc::worse(sc::status::success, a) == a);
    for (std::size_t j = 0; j < by_severity.size(); ++j) {
      const sc::status b = by_severity[j];
      CHECK(sc::worse(a, b) == by_severity[std::max(i, j)]);
      CHECK(sc::worse(a, b) == sc::worse(b, a));
      for (sc::status c : by_severity) CHECK(sc::worse(sc::worse(a, b), c) == sc::worse(a, sc::worse(b, c)));
    }
  }
}

TEST_CASE("record_status: order-independent status over all 36 pairs, messages joined in order") {
  int pairs = 0;
  for (std::size_t i = 0; i < by_severity.size(); ++i)
    for (std::size_t j = 0; j < by_severity.size(); ++j) {
      const sc::status a = by_severity[i], b = by_severity[j];
      sc::result_base ab, ba;
      sc::record_status(ab, a, "first");
      sc::record_status(ab, b, "second");
      sc::record_status(ba, b, "second");
      sc::record_status(ba, a, "first");
      CHECK(ab.status == ba.status);
      CHECK(ab.status == by_severity[std::max(i, j)]);
      CHECK(ab.message == "first; second");
      CHECK(ba.message == "second; first");
      // The same on a plain row, and starting from an earlier finding.
      row r{sc::status::tolerance_not_met, "earlier"};
      sc::record_status(r, a, "first");
      sc::record_status(r, b, "second");
      CHECK(r.status == sc::worse(sc::status::tolerance_not_met, by_severity[std::max(i, j)]));
      CHECK(r.message == "earlier; first; second");
      ++pairs;
    }
  CHECK(pairs == 36);
}

TEST_CASE("record_status and append_note: empty messages add no separator; a note keeps the status") {
  sc::result_base r;
  sc::record_status(r, sc::status::success, "");
  CHECK(r.ok());
  CHECK(r.message.empty());
  sc::append_note(r, "a note");
  CHECK(r.ok());
  CHECK(r.message == "a note");
  sc::record_status(r, sc::status::max_iterations, "");
  CHECK(r.status == sc::status::max_iterations);
  CHECK(r.message == "a note");
  sc::record_status(r, sc::status::assumption_violated, "a flag after a failure");
  CHECK(r.status == sc::status::max_iterations);  // a flag never hides a failure
  CHECK(r.message == "a note; a flag after a failure");
  sc::append_note(r, "");
  CHECK(r.message == "a note; a flag after a failure");
}
