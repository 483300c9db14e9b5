#!/usr/bin/env bash
# Sets up everything (packages, configure, build) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
source scripts/env.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" --timeout 600
