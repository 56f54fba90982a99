#!/usr/bin/env bash
# Builds claw and its unit tests with AddressSanitizer and UndefinedBehaviorSanitizer
# into build-sanitize/ and runs them there; scripts/test.sh runs it after the ordinary suite.
# Expects what scripts/setup.sh installs. Extra arguments go to ctest. SANITIZE_STAGE=build or
# =test does only that half (scripts/test.sh times them apart).
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${SANITIZE_STAGE:-all}
if [[ $stage != test ]]; then
  # -O1 keeps the build and the run quick; -g1 gives reports file and line. Only what the
  # sanitizer stage runs is built: claw and the unit test executable.
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCLAW_SANITIZE=ON -DCLAW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-sanitize --target claw claw_unit_tests
fi
if [[ $stage != build ]]; then
  export ASAN_OPTIONS="detect_leaks=1:strict_init_order=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/leaks.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  # The sanitizers watch claw's own memory handling: parsers, file formats, tokenizers, the
  # store, the command line. The golden tests and the unit suites below spend their time in
  # LibTorch's arithmetic, which is not instrumented, or in launching claw for forward passes,
  # on paths the other suites already take (the file formats under their own suites: GgufTest,
  # Malformed*, the fuzz inputs); instrumented they cost a third of the CI budget and find
  # nothing the rest would not.
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" -L "^unit$" \
    -E '^unit\.(Compress|Recover|Fit|Bench|ParameterTarget|Loglikelihood|Export|Convert|EvalCommand)$' \
    "$@"
fi
