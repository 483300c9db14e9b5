#!/usr/bin/env bash
# The comparison command: builds build/bench/tapegrad_bench if needed, runs the train_step and matmul
# benchmarks with OpenBLAS on the right kernel and a fixed thread count, and prints Markdown tables
# (scripts/bench_table.py). See /work/shared/WORKLOADS.md for the workloads and the OpenBLAS pitfall.
#
#   scripts/bench.sh                       # one thread, train_step/* and matmul/*, 3 repetitions
#   scripts/bench.sh --threads 2           # the two-thread table
#   scripts/bench.sh --filter 'train_step/(manual|libtorch)/' --repetitions 5
#
# Options:
#   --threads N       OpenBLAS, OpenMP and LibTorch threads (default 1)
#   --filter REGEX    --benchmark_filter (default 'train_step/|matmul/')
#   --repetitions N   runs of each benchmark; the tables show medians (default 3)
#   --out FILE        where the Google Benchmark JSON goes (default build/bench/bench-<threads>t.json)
#   --build-dir DIR   CMake build directory (default build)
#   --no-build        run the existing binary as it is
#   --coretype NAME   OPENBLAS_CORETYPE to use instead of the one detected (also read from the environment)
# Anything after -- goes to tapegrad_bench unchanged.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
threads=1
filter='train_step/|matmul/'
repetitions=3
out=''
build_dir="$root/build"
build=1
coretype="${OPENBLAS_CORETYPE:-}"
extra=()

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --filter) filter="$2"; shift 2 ;;
    --repetitions) repetitions="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --build-dir) build_dir="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --coretype) coretype="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "bench.sh: unknown option '$1'; see --help" >&2; exit 2 ;;
  esac
done
if ! [[ "$threads" =~ ^[1-9][0-9]*$ ]]; then
  echo "bench.sh: --threads expects a positive integer, got '$threads'" >&2
  exit 2
fi

# OpenBLAS 0.3.21 does not recognise this CPU and falls back to the slow generic kernel unless told
# which one to use: scripts/env.sh picks it from the CPU flags unless --coretype or the environment did.
if [[ -n "$coretype" ]]; then export OPENBLAS_CORETYPE="$coretype"; fi
source "$root/scripts/env.sh"
# The pthread build of OpenBLAS starts one thread per core unless told otherwise; LibTorch reads
# TAPEGRAD_BENCH_THREADS (bench/bench_libtorch.cpp).
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" TAPEGRAD_BENCH_THREADS="$threads"

build_dir=$(realpath -m "$build_dir")  # setup.sh runs from the repository's root
bin="$build_dir/bench/tapegrad_bench"
if [[ $build -eq 1 ]]; then
  # The LibTorch column needs Debian's LibTorch; without it the bench builds and the column is missing.
  # setup.sh installs the rest and configures again, so that CMake finds LibTorch installed after a
  # first configure.
  source "$root/scripts/packages.sh"
  require_packages bench.sh libtorch-dev
  bash "$root/scripts/setup.sh" "$build_dir" >&2
  cmake --build "$build_dir" -j2 --target tapegrad_bench >&2
fi
if [[ ! -x "$bin" ]]; then
  echo "bench.sh: $bin does not exist; build it or drop --no-build" >&2
  exit 1
fi

out="${out:-$build_dir/bench/bench-${threads}t.json}"
echo "bench.sh: OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset)}, $threads thread(s), filter '$filter'," \
     "$repetitions repetitions -> $out" >&2
"$bin" --benchmark_filter="$filter" --benchmark_repetitions="$repetitions" \
       --benchmark_display_aggregates_only=true \
       --benchmark_out="$out" --benchmark_out_format=json ${extra[@]+"${extra[@]}"} >&2
python3 "$root/scripts/bench_table.py" "$out"
