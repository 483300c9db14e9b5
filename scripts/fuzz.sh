#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with Clang, ASan and UBSan in build-fuzz/ (TAPEGRAD_FUZZ=ON) and
# runs each for a bounded time from its seed corpus (fuzz/corpus/<target>); any crash, sanitizer report,
# leak, unexpected exception or timeout fails the run and leaves the input in build-fuzz/artifacts/<target>/.
# Usage: scripts/fuzz.sh [seconds per target [target...]]   (default: 60, every fuzz/fuzz_*.cpp). Installs clang and libclang-rt-14-dev
# (libFuzzer's runtime) with apt-get when they are missing, as root or through sudo.
# Reproduce a finding: build-fuzz/fuzz/<target> <artifact file>; then add it to tests/test_fuzz_regressions.cpp.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift $(($# > 0 ? 1 : 0))
only=("$@")
build_dir=build-fuzz
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: expects a whole number of seconds per target, got '$seconds'" >&2
  exit 2
fi

# The targets are the fuzz/fuzz_*.cpp sources; a name asked for that is not one of them is an error, not
# a run that fuzzes nothing.
targets=()
for source in fuzz/fuzz_*.cpp; do targets+=("$(basename "$source" .cpp)"); done
for target in "${only[@]}"; do
  if [[ " ${targets[*]} " != *" $target "* ]]; then
    echo "fuzz.sh: no fuzz target '$target' (there are: ${targets[*]})" >&2
    exit 2
  fi
done
((${#only[@]})) || only=("${targets[@]}")

source scripts/packages.sh
require_packages fuzz.sh clang libclang-rt-14-dev

source scripts/env.sh
# Only the library and the fuzz targets: no tests, examples or benchmarks in this folder.
CC=clang CXX=clang++ cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_FUZZ=ON \
      -DTAPEGRAD_BUILD_TESTS=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j2

# A 16 MB quarantine instead of ASan's 256 MB: every allocation was fresh memory, page-faulted and filled,
# which took 2/3 of the time of an execution. A use after free is still caught for the last 16 MB of frees,
# which is hundreds of executions of these readers.
export ASAN_OPTIONS="detect_leaks=1:quarantine_size_mb=16" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
failed=()
for target in "${only[@]}"; do
  bin="$build_dir/fuzz/$target"
  corpus="$build_dir/corpus/$target"      # new inputs go here; the committed seeds stay as they are
  artifacts="$build_dir/artifacts/$target"
  log="$build_dir/$target.log"
  mkdir -p "$corpus" "$artifacts"
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$artifacts/")
  [[ -f "fuzz/$target.dict" ]] && options+=(-dict="fuzz/$target.dict")
  start=$(date +%s)
  status=0
  "$bin" "${options[@]}" "$corpus" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  elapsed=$(($(date +%s) - start))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  units=$(find "$corpus" -type f | wc -l)
  if ((status == 0)); then
    echo "fuzz.sh: $target: ${elapsed}s, ${runs:-?} executions, $units new corpus inputs, no findings" >&2
  else
    tail -n 60 "$log" >&2
    echo "fuzz.sh: $target: FINDING after ${elapsed}s (exit $status); input in $artifacts/, log in $log" >&2
    failed+=("$target")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in ${failed[*]}" >&2
  exit 1
fi
