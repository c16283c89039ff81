#!/bin/sh
# `make test`'s two builds, run at the same time: both are configured already (Makefile); this
# builds the Release build's test programs and runs its ctest, while the sanitized build
# compiles and then runs its ctest.  On 2 cores each build runs 2 compiler jobs, so the cores stay
# busy through either build's tail (one long translation unit) and through the other's tests;
# on 2 cores this takes about two thirds of the time of the two passes one after the other.
# With more than 2 jobs each build gets half of them plus one (about JOBS + 2 compilers, as
# Ninja's own default), so that a many-core machine does not run 2 × JOBS compilers at once
# (a heavy test TU takes up to 3 GB).
#
# The Release build's output goes to BUILD/make-test.log and is printed when both are done
# (whole, not interleaved with the sanitized build's); the exit status is non-zero when either
# build or either test run failed, and the last lines say which.
#
# usage: tools/run-tests.sh BUILD ASAN_BUILD JOBS
set -u
build=$1
asan_build=$2
jobs=$3
log=$build/make-test.log
if [ "$jobs" -le 2 ]; then each=$jobs; else each=$(((jobs + 1) / 2 + 1)); fi

(
  cmake --build "$build" -j "$each" --target shiftcurv_test_programs &&
    cd "$build" && ctest --output-on-failure -j "$jobs"
) >"$log" 2>&1 &
release_pid=$!

cmake --build "$asan_build" -j "$each" --target shiftcurv_test_programs &&
  (cd "$asan_build" && ctest --output-on-failure -j "$jobs")
asan_status=$?

wait "$release_pid"
release_status=$?

echo "---- the Release build ($build): test programs and ctest ----"
cat "$log"
echo "---- end of the Release build's output ----"
status=0
if [ "$release_status" -ne 0 ]; then
  echo "make test: the Release build ($build) failed: its output is above, from $log" >&2
  status=1
fi
if [ "$asan_status" -ne 0 ]; then
  echo "make test: the ASan + UBSan build ($asan_build) failed: its output is before the Release build's" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "make test: both builds passed (Release: $build, ASan + UBSan: $asan_build)"
exit "$status"
