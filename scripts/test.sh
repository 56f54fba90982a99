#!/usr/bin/env bash
# Sets everything up, builds, and runs every test (labels: unit, golden, slow); then, when no
# arguments narrow the run, the unit and golden tests again under AddressSanitizer and
# UndefinedBehaviorSanitizer (scripts/sanitize.sh). Arguments go to ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
if (($# == 0)); then
  bash scripts/sanitize.sh
fi
