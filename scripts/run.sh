#!/usr/bin/env bash
# Sets up everything (packages, configure, build) and runs the main job: compare_optimizers on the
# digits network with seven optimizers, 3 seeds each (the tool's default), two trainings at a time
# (--jobs 2: the same results as --jobs 1). Extra arguments go to compare_optimizers (see --help); a
# later --jobs overrides this one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh build
source scripts/env.sh
exec build/examples/compare_optimizers --jobs 2 "$@"
