#!/bin/sh
# benchmarks/compile_time.sh — wall time of `g++ -std=c++20 -fsyntax-only` of a program that
# includes one header, before and after a change, measured interleaved (A B A B …) so that load
# drifts hit both alike.  Prints one line per run and the medians.
#
#   sh benchmarks/compile_time.sh OLD_INCLUDE_DIR OLD_HEADER NEW_INCLUDE_DIR NEW_HEADER [RUNS]
#   e.g. (an old checkout in /tmp/base):
#   sh benchmarks/compile_time.sh /tmp/base/include shiftcurv/generalization/test_loss_terms.hpp \
#                                 include shiftcurv/studies/loss_terms.hpp 5
set -eu
old_dir=$1 old_header=$2 new_dir=$3 new_header=$4 runs=${5:-5}
eigen=${EIGEN:-/usr/include/eigen3}
time_one() {  # dir header -> seconds
  start=$(date +%s.%N)
  printf '#include <%s>\nint main() {}\n' "$2" | g++ -std=c++20 -fsyntax-only -I"$1" -isystem "$eigen" -x c++ -
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN {printf "%.2f", b - a}'
}
old_times="" new_times=""
i=0
while [ $i -lt "$runs" ]; do
  a=$(time_one "$old_dir" "$old_header"); b=$(time_one "$new_dir" "$new_header")
  echo "run $((i + 1)): before $a s, after $b s"
  old_times="$old_times $a" new_times="$new_times $b"
  i=$((i + 1))
done
median() { printf '%s\n' $1 | sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
echo "median: before $(median "$old_times") s ($old_header), after $(median "$new_times") s ($new_header)"
