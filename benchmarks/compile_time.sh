#!/usr/bin/env bash
# benchmarks/compile_time.sh — what `g++ -std=c++20 -fsyntax-only` of a program that includes one
# header costs, before and after a change, measured interleaved (A B A B …) so that load drifts
# hit both alike.  Prints wall and CPU (user + sys) seconds per run and the medians; on a busy
# machine the CPU time is the steadier figure (the compiler is single-threaded).
#
#   bash benchmarks/compile_time.sh OLD_INCLUDE_DIR OLD_HEADER NEW_INCLUDE_DIR NEW_HEADER [RUNS]
#   e.g. (an old checkout in /tmp/base):
#   bash benchmarks/compile_time.sh /tmp/base/include shiftcurv/generalization/test_loss_terms.hpp \
#                                   include shiftcurv/studies/loss_terms.hpp 5
set -euo pipefail
old_dir=$1 old_header=$2 new_dir=$3 new_header=$4 runs=${5:-5}
eigen=${EIGEN:-/usr/include/eigen3}
TIMEFORMAT='%R %U %S'
time_one() {  # dir header -> "wall cpu"
  local t
  t=$({ time printf '#include <%s>\nint main() {}\n' "$2" |
        g++ -std=c++20 -fsyntax-only -I"$1" -isystem "$eigen" -x c++ - ; } 2>&1)
  awk '{printf "%.2f %.2f\n", $1, $2 + $3}' <<<"$t"
}
old_wall=() new_wall=() old_cpu=() new_cpu=()
for ((i = 1; i <= runs; i++)); do
  read -r aw ac < <(time_one "$old_dir" "$old_header")
  read -r bw bc < <(time_one "$new_dir" "$new_header")
  echo "run $i: before ${aw} s wall ${ac} s CPU, after ${bw} s wall ${bc} s CPU"
  old_wall+=("$aw") new_wall+=("$bw") old_cpu+=("$ac") new_cpu+=("$bc")
done
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "median before ($old_header): $(median "${old_wall[@]}") s wall, $(median "${old_cpu[@]}") s CPU"
echo "median after  ($new_header): $(median "${new_wall[@]}") s wall, $(median "${new_cpu[@]}") s CPU"
