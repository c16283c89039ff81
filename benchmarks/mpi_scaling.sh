#!/bin/sh
# 1 vs 2 MPI ranks for langevin_ensemble (particles over ranks) and synthetic_basins (a
# temperature sweep over ranks): wall and CPU (user+sys, the ranks included) of each run, and a
# check that every run wrote the serial run's CSV byte for byte.  benchmarks/README.md, "MPI".
#   sh benchmarks/mpi_scaling.sh [build-dir]
set -e
B=${1:-build}/examples
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
W=$(mktemp -d)
ENS="--temperature=0.5 --particles=100000 --dt=0.01 --time=40 --seed=1 --threads=1"
SWEEP="--preset=fig4-left --temperatures=$(python3 -c 'print(",".join("%.6g" % 10**(-1+4*i/63) for i in range(64)))')"
run() {  # label, then the command; prints label, wall, user, sys
  label=$1; shift
  /usr/bin/time -f "%e %U %S" -o $W/t "$@" >/dev/null 2>$W/err || { cat $W/err; exit 1; }
  echo "$label $(cat $W/t) load=$(cut -d' ' -f1 /proc/loadavg)"
}
for rep in 1 2; do
  run "ensemble serial     " $B/langevin_ensemble $ENS --csv=$W/e0.csv
  run "ensemble mpirun -np1" mpirun -np 1 $B/langevin_ensemble $ENS --csv=$W/e1.csv
  run "ensemble mpirun -np2" mpirun -np 2 $B/langevin_ensemble $ENS --csv=$W/e2.csv
  run "sweep    serial     " $B/synthetic_basins $SWEEP --csv=$W/s0.csv
  run "sweep    mpirun -np1" mpirun -np 1 $B/synthetic_basins $SWEEP --csv=$W/s1.csv
  run "sweep    mpirun -np2" mpirun -np 2 $B/synthetic_basins $SWEEP --csv=$W/s2.csv
  cmp $W/e0.csv $W/e1.csv && cmp $W/e0.csv $W/e2.csv && cmp $W/s0.csv $W/s1.csv && cmp $W/s0.csv $W/s2.csv \
    && echo "CSVs byte-identical"
done
rm -rf $W
