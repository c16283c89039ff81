#!/usr/bin/env bash
# tests/gpu/prepare_third_party.sh — on the development machine, before a device call: copies into
# the git-ignored folder third_party/ of the repository the headers that the GPU machine lacks and
# tests/gpu needs, so that the device call can carry them (carry: ["third_party"]):
#   third_party/eigen3      Eigen (all of it; the CUDA backend's adapter and the test)
#   third_party/Random123   Random123 (all of it: the library's Philox streams)
#   third_party/boost/...   the few Boost headers that shiftcurv/dynamics/sgd.hpp reaches (found
#                           by the compiler's own dependency list), for the SGD trajectory check
# Without Random123 and those Boost headers tests/gpu still builds, without the SGD check.
# Variables: EIGEN (default /usr/include/eigen3), RANDOM123 (default /usr/include/Random123).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
tp=$repo/third_party
eigen=${EIGEN:-/usr/include/eigen3}
random123=${RANDOM123:-/usr/include/Random123}
mkdir -p "$tp"
rm -rf "$tp/eigen3" "$tp/Random123" "$tp/boost"
cp -r "$eigen" "$tp/eigen3"
cp -r "$random123" "$tp/Random123"
echo '#include <shiftcurv/dynamics/sgd.hpp>' |
  g++ -std=c++20 -M -I "$repo/include" -isystem "$eigen" -x c++ - |
  tr ' \\' '\n\n' | grep '/boost/' | sort -u |
  while read -r f; do
    rel=boost/${f#*/boost/}
    mkdir -p "$tp/$(dirname "$rel")"
    cp "$f" "$tp/$rel"
  done
echo "prepare_third_party.sh: $(du -sh "$tp" | cut -f1) in $tp ($(find "$tp/boost" -type f | wc -l) Boost headers)"
