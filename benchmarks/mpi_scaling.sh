#!/bin/sh
# 1 vs 2 MPI ranks for langevin_ensemble (particles over ranks) and synthetic_basins (a
# temperature sweep over ranks): wall time, CPU time (user+sys) of the whole run and of each
# rank, and a check that every run wrote the serial run's CSV byte for byte.
# benchmarks/README.md, "MPI".     sh benchmarks/mpi_scaling.sh [build-dir] [repetitions]
set -e
B=$(cd ${1:-build}/examples && pwd)
REPS=${2:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1
W=$(mktemp -d)
ENS="--temperature=0.5 --particles=100000 --dt=0.01 --time=40 --seed=1 --threads=1"
SWEEP="--preset=fig4-left --temperatures=$(python3 -c 'print(",".join("%.6g" % 10**(-1+4*i/3999) for i in range(4000)))')"
# label, ranks (0: no mpirun), program, args...: wall user sys of the run, then "rank r: user+sys"
run() {
  label=$1; np=$2; shift 2
  rm -f $W/rank.*
  if [ "$np" = 0 ]; then
    /usr/bin/time -f "%e %U %S" -o $W/t "$@" >/dev/null 2>$W/err || { cat $W/err; exit 1; }
  else
    /usr/bin/time -f "%e %U %S" -o $W/t mpirun -np $np sh -c \
      '/usr/bin/time -f "%U %S" -o '$W'/rank.$OMPI_COMM_WORLD_RANK "$@"' sh "$@" >/dev/null 2>$W/err || { cat $W/err; exit 1; }
  fi
  ranks=""
  for f in $W/rank.*; do [ -e "$f" ] && ranks="$ranks ${f##*.}:$(awk '{printf "%.2f", $1 + $2}' $f)"; done
  echo "$label wall/user/sys $(cat $W/t)  rank cpu$ranks  load $(cut -d' ' -f1 /proc/loadavg)"
}
for rep in $(seq $REPS); do
  run "ensemble serial    " 0 $B/langevin_ensemble $ENS --csv=$W/e0.csv
  run "ensemble mpirun -np 1" 1 $B/langevin_ensemble $ENS --csv=$W/e1.csv
  run "ensemble mpirun -np 2" 2 $B/langevin_ensemble $ENS --csv=$W/e2.csv
  run "sweep    serial    " 0 $B/synthetic_basins $SWEEP --csv=$W/s0.csv
  run "sweep    mpirun -np 1" 1 $B/synthetic_basins $SWEEP --csv=$W/s1.csv
  run "sweep    mpirun -np 2" 2 $B/synthetic_basins $SWEEP --csv=$W/s2.csv
  cmp $W/e0.csv $W/e1.csv && cmp $W/e0.csv $W/e2.csv && cmp $W/s0.csv $W/s1.csv && cmp $W/s0.csv $W/s2.csv \
    && echo "CSVs byte-identical"
done
rm -rf $W
