#!/usr/bin/env bash
# Builds tapegrad with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer in build-asan/ and
# runs the whole CTest suite under them, which runs every example to its end and checks its exit code.
# Any report fails the run.
# Usage: scripts/sanitize.sh [build-dir]   (default: build-asan). Needs what scripts/setup.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build_dir=${1:-build-asan}
sanitizers=address,undefined

source scripts/env.sh
# -O1 keeps the suite quick under ASan; Debug keeps the library's asserts on. No benchmarks.
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-g -O1" \
      -DTAPEGRAD_SANITIZE="$sanitizers" -DTAPEGRAD_BUILD_BENCH=OFF >/dev/null
cmake --build "$build_dir" -j2

# halt_on_error/abort_on_error: the first report ends the program with a failing status, so the test fails.
# detect_leaks: LeakSanitizer runs at exit of every test program and example.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0"
# The install test builds tests/consumer against the installed (sanitized) static libraries: CMake takes
# its first CMAKE_CXX_FLAGS and linker flags from these.
export CXXFLAGS="-fsanitize=$sanitizers" LDFLAGS="-fsanitize=$sanitizers"

ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 900

echo "sanitize: the test suite, every example included, ran clean under $sanitizers" >&2
