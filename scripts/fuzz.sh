#!/usr/bin/env bash
# Builds the libFuzzer harnesses with clang, AddressSanitizer and UndefinedBehaviorSanitizer into
# build-fuzz/, then fuzzes each target for a fixed time:
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET (600)] [TARGET...]     (default: every target)
#   FUZZ_PARALLEL=2 bash scripts/fuzz.sh ...                         (targets run side by side)
#
# Each corpus starts from the target's seeds (claw_fuzz_seeds: files from the data directory and
# files claw writes) and grows in build-fuzz/corpus/TARGET across runs. An input that crashes a
# parser lands in build-fuzz/findings/TARGET/; once fixed, it belongs in
# tests/fuzz/regressions/TARGET/, which the unit tests replay. The last lines are a table of
# executions per target.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-600}
shift || true

bash scripts/setup.sh >/dev/null  # the libraries claw needs, and a build the tests can use
bash scripts/install-packages.sh clang libclang-rt-14-dev  # libFuzzer and the sanitizers

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCLAW_BUILD_FUZZERS=ON -DCLAW_BUILD_TESTS=OFF -DCLAW_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target fuzzers

targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(build-fuzz/fuzz/claw_fuzz_seeds --list | cut -f1)
fi

fuzz_one() {
  local target=$1 seconds=$2
  local corpus=build-fuzz/corpus/$target findings=build-fuzz/findings/$target
  mkdir -p "$corpus" "$findings"
  build-fuzz/fuzz/claw_fuzz_seeds "$target" "$corpus"
  # Leaks are LibTorch's and the tokenizer caches' by design (process-lifetime singletons).
  "build-fuzz/fuzz/fuzz_$target" "$corpus" -max_total_time="$seconds" -close_fd_mask=2 \
    -detect_leaks=0 -artifact_prefix="$findings/" -print_final_stats=1 \
    >"build-fuzz/$target.log" 2>&1 || true
}
export -f fuzz_one
printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_PARALLEL:-1}" -I{} bash -c "fuzz_one {} $seconds"

printf '%-20s %12s %10s %8s %9s\n' target executions "exec/s" corpus findings
status=0
for target in "${targets[@]}"; do
  log=build-fuzz/$target.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  corpus=$(find "build-fuzz/corpus/$target" -type f | wc -l)
  found=$(find "build-fuzz/findings/$target" -type f | wc -l)
  printf '%-20s %12s %10s %8s %9s\n' "$target" "${runs:-?}" "${rate:-?}" "$corpus" "$found"
  if [ "$found" -ne 0 ] || [ -z "$runs" ]; then status=1; fi
done
exit $status
