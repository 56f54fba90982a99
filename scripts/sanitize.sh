#!/usr/bin/env bash
# Builds claw and its unit and golden tests with AddressSanitizer and UndefinedBehaviorSanitizer
# into build-sanitize/ and runs them there; scripts/test.sh runs it after the ordinary suite.
# Expects what scripts/setup.sh installs. Extra arguments go to ctest. SANITIZE_STAGE=build or
# =test does only that half (scripts/test.sh times them apart).
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${SANITIZE_STAGE:-all}
if [[ $stage != test ]]; then
  # -O1 keeps the build and the run quick; -g1 gives reports file and line. Only what the
  # sanitizer stage runs is built: claw and the unit and golden test executables.
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCLAW_SANITIZE=ON -DCLAW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-sanitize --target claw claw_unit_tests claw_golden_tests
fi
if [[ $stage != build ]]; then
  export ASAN_OPTIONS="detect_leaks=1:strict_init_order=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/leaks.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # golden.HarnessAgreement runs thousands of plain forward passes through code the unit suites
  # already run under the sanitizers; instrumented it would cost minutes of the CI budget.
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" -L "unit|golden" \
    -E '^golden\.HarnessAgreement$' "$@"
fi
