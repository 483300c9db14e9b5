#!/usr/bin/env bash
# Installs what tapegrad needs on Debian 12 (as root, or through sudo) and configures and builds it.
# Usage: scripts/setup.sh [build-dir]   (default: build). Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}

source scripts/packages.sh
# bible-kjv and bible-kjv-text: the King James Bible, char_rnn's default text (see examples/CMakeLists.txt)
require_packages setup g++ cmake make libopenblas-dev libgtest-dev libgmock-dev libbenchmark-dev zlib1g-dev \
  libcli11-dev nlohmann-json3-dev gnuplot-nox graphviz dataset-fashion-mnist bible-kjv bible-kjv-text python3

# Open MPI for tapegrad::distributed and its mpirun tests (CMake builds them only when it finds MPI).
require_packages setup libopenmpi-dev openmpi-bin
source scripts/env.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
