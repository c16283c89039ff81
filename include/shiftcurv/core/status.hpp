// shiftcurv/core/status.hpp — how an algorithm reports whether it worked.
//
//   auto r = shiftcurv::effective_potential(loss, noise, T, a, b);
//   if (!r) std::cerr << to_string(r.status) << ": " << r.message << '\n';
//
// Modelled on Eigen's ComputationInfo and Ceres' Solver::Summary: a result struct carries the
// value, an error estimate, a status, work counts and a human-readable message.  A failed
// computation never hands back a silent NaN: the status says what went wrong.
//
// The one rule for combining statuses (a result made of parts, or several findings):
//   record_status(r, part.status, part.message);   // r.status becomes the more severe of the two
// Severity, least to most: success < tolerance_not_met < assumption_violated < max_iterations
// < not_converged < numerical_issue.  Flags (tolerance_not_met, assumption_violated: the numbers
// exist but rest on an unmet tolerance or assumption) rank below failures (the numbers are not
// to be used); among failures, a numerical breakdown outranks a budget or a stall.  The outcome
// does not depend on the order in which parts are recorded; the messages accumulate in order,
// separated by "; ".
#pragma once

#include <string>
#include <string_view>

namespace shiftcurv {

enum class status {
  success,              ///< converged to the requested tolerance
  max_iterations,       ///< iteration/evaluation budget exhausted before the tolerance was met
  tolerance_not_met,    ///< finished, but the error estimate exceeds the requested tolerance
  not_converged,        ///< the method diverged or stalled (e.g. Newton without descent)
  numerical_issue,      ///< a NaN/Inf or a singular matrix appeared inside the computation
  assumption_violated   ///< a theoretical assumption (e.g. curl-free V) measurably fails
};

constexpr std::string_view to_string(status s) noexcept {
  switch (s) {
    case status::success: return "success";
    case status::max_iterations: return "max_iterations";
    case status::tolerance_not_met: return "tolerance_not_met";
    case status::not_converged: return "not_converged";
    case status::numerical_issue: return "numerical_issue";
    case status::assumption_violated: return "assumption_violated";
  }
  return "unknown";
}

/// True for a status whose numbers must not be used (max_iterations, not_converged,
/// numerical_issue); false for success and for the flags assumption_violated and
/// tolerance_not_met, whose numbers exist but rest on an unmet assumption or tolerance.
constexpr bool is_failure(status s) noexcept {
  return s != status::success && s != status::assumption_violated && s != status::tolerance_not_met;
}

/// The severity of a status (the order above): 0 for success, 5 for numerical_issue.
constexpr int severity(status s) noexcept {
  switch (s) {
    case status::success: return 0;
    case status::tolerance_not_met: return 1;
    case status::assumption_violated: return 2;
    case status::max_iterations: return 3;
    case status::not_converged: return 4;
    case status::numerical_issue: return 5;
  }
  return 5;
}

/// The more severe of two statuses.
constexpr status worse(status a, status b) noexcept { return severity(b) > severity(a) ? b : a; }

/// The part every result struct shares.  Derive from it and add the value fields.
struct result_base {
  shiftcurv::status status = shiftcurv::status::success;
  std::string message;         ///< empty on success, otherwise why
  long evaluations = 0;        ///< function (or V) evaluations used
  long iterations = 0;         ///< iterations/steps used, where meaningful
  [[nodiscard]] bool ok() const noexcept { return status == shiftcurv::status::success; }
  explicit operator bool() const noexcept { return ok(); }
};

/// Appends `msg` to r.message ("; " between notes) without changing r.status.  Works on any
/// type with `status` and `message` members (result_base and the per-basin/per-component rows).
template <class R>
void append_note(R& r, std::string_view msg) {
  if (msg.empty()) return;
  if (!r.message.empty()) r.message += "; ";
  r.message += msg;
}

/// The one status rule: r.status becomes worse(r.status, s); `msg` is appended to r.message.
template <class R>
void record_status(R& r, status s, std::string_view msg) {
  r.status = worse(r.status, s);
  append_note(r, msg);
}

}  // namespace shiftcurv
