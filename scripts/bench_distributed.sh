#!/usr/bin/env bash
# The data-parallel comparison: the time of one training step of the fashion and wide workloads at 1 and 2
# ranks (one thread each, the same global batch), tapegrad's DistributedDataParallel
# (build/bench/tapegrad_bench_ddp under mpirun, on this machine only) beside PyTorch's DDP with the gloo
# backend (scripts/pytorch_ddp.py, Debian's python3-torch), then the scaling model
# step(N) = compute(B / N) + all-reduce(bytes, N) fitted to these runs (scripts/scaling_model.py): its check
# against the measured 2-rank step (the script fails when they part by more than 25 %) and its predictions
# for 8 and 64 machines at 10 and 100 Gbit/s. Takes about 2 minutes.
#
#   scripts/bench_distributed.sh                 # fashion and wide, 5 blocks each
#   scripts/bench_distributed.sh --workloads fashion --repeats 7
#
# Options:
#   --workloads LIST  comma-separated, from fashion and wide (default fashion,wide)
#   --repeats N       timed blocks per run; the medians are reported (default 5)
#   --build-dir DIR   CMake build directory (default build)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
workloads=fashion,wide
repeats=5
build_dir="$root/build"
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --workloads) workloads="$2"; shift 2 ;;
    --repeats) repeats="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench_distributed.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
done
if ! [[ "$repeats" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench_distributed.sh: --repeats expects a positive integer, got '$repeats'" >&2
  exit 2
fi
IFS=, read -r -a list <<<"$workloads"
for w in "${list[@]}"; do
  if [[ $w != fashion && $w != wide ]]; then
    echo "bench_distributed.sh: --workloads: unknown workload '$w' (fashion or wide)" >&2
    exit 2
  fi
done

source "$root/scripts/packages.sh"
require_packages bench_distributed.sh openmpi-bin libopenmpi-dev python3 python3-torch
source "$root/scripts/env.sh"
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
build_dir=$(realpath -m "$build_dir")
if [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build_dir" -j"$(getconf _NPROCESSORS_ONLN)" --target tapegrad_bench_ddp >/dev/null

# On this machine only: shared memory between the ranks, mpirun's own traffic on loopback.
mpirun=(mpirun --oversubscribe --bind-to none --mca btl self,vader --mca btl_vader_single_copy_mechanism none
        --mca oob_tcp_if_include lo)
if [[ $(id -u) == 0 ]]; then mpirun+=(--allow-run-as-root); fi

# value KEY LINE: the value of KEY=value in a result line.
value() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

results=$(mktemp)
trap 'rm -f "$results"' EXIT
# bench RANKS ARGS...: one tapegrad_bench_ddp run; its line goes to the results (and, as it comes, to stderr).
bench() {
  "${mpirun[@]}" -np "$1" "$build_dir/bench/tapegrad_bench_ddp" "${@:2}" --repeats "$repeats" | tee -a "$results" >&2
}
for w in "${list[@]}"; do
  for n in 1 2; do
    bench "$n" --workload "$w"
    /usr/bin/python3 "$root/scripts/pytorch_ddp.py" --workload "$w" --ranks "$n" --repeats "$repeats" |
      tee -a "$results" >&2
  done
  batch=$(value global_batch "$(grep -F "tapegrad_ddp workload=$w ranks=1 " "$results" | head -n 1)")
  for n in 8 64; do bench 1 --workload "$w" --batch $((batch / n)); done  # one rank's share on a cluster
done
bench 2 --allreduce-sweep

echo "data-parallel step, $(date -u '+%Y-%m-%d %H:%M UTC'), $(getconf _NPROCESSORS_ONLN) cores, OpenBLAS kernel" \
     "${OPENBLAS_CORETYPE:-auto}, one thread per rank; medians of $repeats blocks"
echo
/usr/bin/python3 "$root/scripts/scaling_model.py" "$results"
