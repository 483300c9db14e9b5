#!/usr/bin/env bash
# Sets up everything (packages, configure, build) and runs the main job: compare_optimizers on the
# digits network with seven optimizers. Extra arguments go to compare_optimizers (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
source scripts/env.sh
exec build/examples/compare_optimizers "$@"
