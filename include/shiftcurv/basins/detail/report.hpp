// shiftcurv/basins/detail/report.hpp — one way to record trouble in a result (internal).
//
//   detail::record_status(c, status::numerical_issue, "the Hessian of v at mu is not PD");
//   detail::append_note(c, "C_k^tr is singular: the first-order bias is NaN");
//   if (shiftcurv::is_failure(c.status)) ...;   // weight 0, the others renormalized (core/status.hpp)
//
// A status is either a FLAG (assumption_violated, tolerance_not_met: the numbers exist and are
// usable, but an assumption or a tolerance is not met) or a FAILURE (max_iterations,
// not_converged, numerical_issue: the numbers are not to be used).  A failure replaces a flag,
// never the other way round; messages accumulate, separated by "; ".  Works on any type with
// `status` and `message` members (result_base, mixture_component, basin_prediction).
// `as_called_by(fn, body)` makes an exception thrown inside `body` name the public function.
#pragma once

#include <string>
#include <string_view>

#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/status.hpp"

namespace shiftcurv::detail {

/// Appends `msg` to r.message without changing r.status.
template <class R>
void append_note(R& r, std::string_view msg) {
  if (msg.empty()) return;
  if (!r.message.empty()) r.message += "; ";
  r.message += msg;
}

/// Sets r.status to `s` unless r already carries a failure (a failure replaces a flag), and
/// appends `msg` to r.message.
template <class R>
void record_status(R& r, status s, std::string_view msg) {
  if (s != status::success && (r.status == status::success || (is_failure(s) && !is_failure(r.status))))
    r.status = s;
  append_note(r, msg);
}

/// Runs `body()`; a shiftcurv::invalid_argument or domain_error thrown by an internal call that
/// names another function is re-thrown with the public function `fn` named first
/// ("shiftcurv::fn: find_potential_minimum: D(theta) must be ...").
template <class F>
decltype(auto) as_called_by(std::string_view fn, F&& body) {
  auto rename = [fn](const char* what) {
    const std::string w = what, own = "shiftcurv::" + std::string(fn) + ":";
    if (w.rfind(own, 0) == 0) return w;
    const std::string_view prefix = "shiftcurv::";
    return own + " " + (w.rfind(prefix, 0) == 0 ? w.substr(prefix.size()) : w);
  };
  try {
    return body();
  } catch (const invalid_argument& e) {
    throw invalid_argument(rename(e.what()));
  } catch (const domain_error& e) {
    throw domain_error(rename(e.what()));
  }
}

}  // namespace shiftcurv::detail
