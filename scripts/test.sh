#!/usr/bin/env bash
# Sets everything up, builds, and runs every test (labels: unit, golden, slow).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
