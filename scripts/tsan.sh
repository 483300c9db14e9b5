#!/usr/bin/env bash
# Builds tests/test_threads.cpp with ThreadSanitizer in build-tsan/ and runs it; any report fails the run.
# Usage: scripts/tsan.sh [build-dir]   (default: build-tsan). Needs what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${1:-build-tsan}

source scripts/env.sh
# OpenBLAS is not built with ThreadSanitizer: with one OpenBLAS thread it starts no pool of its own and
# TSan sees every thread there is. (scripts/env.sh sets 1 unless told otherwise; this run insists.)
export OPENBLAS_NUM_THREADS=1
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_SANITIZE=thread \
      -DTAPEGRAD_BUILD_BENCH=OFF -DTAPEGRAD_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build_dir" -j2 --target test_threads

export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:history_size=4:suppressions=$root/tests/sanitizer/tsan.supp"
"$build_dir/tests/test_threads"
echo "tsan: test_threads ran clean under ThreadSanitizer" >&2
