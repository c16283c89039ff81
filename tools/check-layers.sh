#!/bin/sh
# The library's floors (../shared/ARCHITECTURE.md, "Floors"): a header under include/shiftcurv/
# includes only headers on its own floor or below, and no other folder's detail/ (core/detail/
# is the ground every folder may use).  Prints file:line: why for each violation and exits 1;
# exits 0 when the headers keep the rules.  Run by `make test` (ctest entry `layers`).
#   sh tools/check-layers.sh [include-dir]
dir=${1:-$(dirname "$0")/../include}
cd "$dir" || { echo "check-layers: no directory $dir" >&2; exit 2; }
find shiftcurv -name "*.hpp" | sort | xargs awk '
  BEGIN {
    n = split("core:1 random:2 derivatives:2 io:2 noise:3 curvature:3 testing:3 potential:4 dynamics:4 " \
              "fokker_planck:4 optimize:4 synthetic:4 basins:5 parallel:5 generalization:6 studies:7", a, " ")
    for (i = 1; i <= n; i++) { split(a[i], kv, ":"); floor_of[kv[1]] = kv[2] }
    bad = 0
  }
  FNR == 1 {
    split(FILENAME, p, "/"); own = p[2]
    # the umbrella header shiftcurv/shiftcurv.hpp sits above every floor
    if (own ~ /\.hpp$/) own = ""
    else if (!(own in floor_of)) { printf "%s:1: folder %s/ has no floor in tools/check-layers.sh\n", FILENAME, own; bad = 1 }
  }
  own != "" && /^[ \t]*#[ \t]*include[ \t]*[<"]shiftcurv\// {
    match($0, /shiftcurv\/[^">]+/); inc = substr($0, RSTART, RLENGTH)
    split(inc, q, "/"); other = q[2]
    if (!(other in floor_of)) {
      printf "%s:%d: includes %s, outside every floor\n", FILENAME, FNR, inc; bad = 1
    } else if (floor_of[other] + 0 > floor_of[own] + 0) {
      printf "%s:%d: includes %s: %s/ (floor %d) is above %s/ (floor %d)\n", FILENAME, FNR, inc, other, floor_of[other], own, floor_of[own]; bad = 1
    } else if (inc ~ /\/detail\// && other != own && other != "core") {
      printf "%s:%d: includes %s: another folder'\''s detail/ (move what both need down, to core/detail/ or a public header)\n", FILENAME, FNR, inc; bad = 1
    }
  }
  END { exit bad }
' || exit 1
