#!/usr/bin/env bash
# Builds tests with AddressSanitizer and UndefinedBehaviorSanitizer into build-sanitize/ and runs
# them there; scripts/test.sh runs it after the ordinary suite. Expects what scripts/setup.sh
# installs. Extra arguments go to ctest. SANITIZE_STAGE=build or =test does only that half
# (scripts/test.sh times them apart).
#
# SANITIZE_SCOPE=parsers (the default, what CI runs): the parsers of outside input, in the layers
# without LibTorch (core, io, text, data, laws), with their unit suites and the seeds and found
# inputs of their fuzz targets (claw_parsers_tests). Those layers are where bytes from files
# become claw's structures, and they build in a fraction of the time the whole of claw takes
# instrumented.
# SANITIZE_SCOPE=all: claw and the whole unit test executable instrumented, and every unit suite
# run but those that spend their time in LibTorch's arithmetic, which is not instrumented, or in
# launching claw for forward passes on paths the other suites take (named below).
set -euo pipefail
cd "$(dirname "$0")/.."
stage=${SANITIZE_STAGE:-all}
scope=${SANITIZE_SCOPE:-parsers}
case $scope in
  parsers) targets=(claw_parsers_tests) label=parsers exclude='^$' ;;
  all)
    targets=(claw claw_unit_tests) label=unit
    exclude='^unit\.(Compress|Recover|Fit|Bench|ParameterTarget|Loglikelihood|Export|Convert|EvalCommand)$'
    ;;
  *) echo "SANITIZE_SCOPE must be parsers or all, not '$scope'" >&2; exit 2 ;;
esac
if [[ $stage != test ]]; then
  # -O1 keeps the build and the run quick; -g1 gives reports file and line.
  cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DCLAW_SANITIZE=ON -DCLAW_BUILD_BENCH=OFF >/dev/null
  cmake --build build-sanitize --target "${targets[@]}"
fi
if [[ $stage != build ]]; then
  export ASAN_OPTIONS="detect_leaks=1:strict_init_order=1:check_initialization_order=1"
  export LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/leaks.supp:print_suppressions=0"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" -L "^${label}\$" -E "$exclude" "$@"
fi
