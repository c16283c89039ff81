// examples/network/network_args.hpp — flags shared by network_probe and network_bench:
// --hidden (widths list), --backend, --data; the network's shape on the digits.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/args.hpp"
#include "network/mlp.hpp"

#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
#include "network/mlp_cuda_loss.hpp"
#endif

namespace shiftcurv_examples::cli {

/// "h1,h2,..." → {64, h1, h2, …, 10}: a non-empty list of integers ≥ 1.
inline shiftcurv_examples::network::mlp_shape parse_hidden(std::string_view value) {
  std::vector<shiftcurv::index> widths{64};
  for (const long w : parse_items("--hidden", value, "expected a comma-separated list of layer widths (integers >= 1)",
                                  [&](std::string_view token) {
                                    const auto n = to_integer(token);
                                    if (!n) fail("--hidden", "'" + trim(token) + "' is not an integer width", value);
                                    if (*n < 1) fail("--hidden", "widths must be >= 1", value);
                                    if (*n > (1L << 20))
                                      fail("--hidden", "width " + trim(token) + " is larger than 1048576", value);
                                    return *n;
                                  }))
    widths.push_back(w);
  widths.push_back(10);
  return shiftcurv_examples::network::mlp_shape{widths};
}

/// A non-negative 64-bit integer seed.
inline std::uint64_t parse_seed(std::string_view flag, std::string_view value) {
  const auto s = to_integer<std::uint64_t>(value);
  if (!s) fail(flag, "expected a non-negative integer", value);
  return *s;
}

inline bool cuda_backend_built() {
#if defined(SHIFTCURV_HAVE_CUDA_BACKEND)
  return true;
#else
  return false;
#endif
}

/// "cpu" or "cuda" (the latter only in a build with the CUDA backend).
inline std::string parse_backend(std::string_view value) {
  const std::string t = trim(value);
  if (t != "cpu" && t != "cuda") fail("--backend", "expected cpu or cuda", value);
  if (t == "cuda" && !cuda_backend_built())
    fail("--backend", "this build has no CUDA backend (configure where nvcc is found)", value);
  return t;
}

}  // namespace shiftcurv_examples::cli
