#!/usr/bin/env bash
# Every compression method at one ratio, each measured by `claw bench` against the model it was
# compressed from: batch-1 decode and prefill speedups beside their ideals (docs/speed.md).
#
#   bench/method_speedups.sh (--preset NAME --tokenizer T | --model M) [--ratio 0.5]
#                            [--reps 3] [--decode 64] [--prefill 128] [--engine claw]
#                            [--dtype stored|f32|bf16]
#                            [--methods random,magnitude,...] [--keep DIR] [--compress-only]
#
# A --preset is made with random weights by `claw init`. The calibration-based methods read
# 4 × 128 tokens of tinystories:train; PruneNet trains its policy for 2 episodes. Compressing
# needs no idle machine; the measurements do (docs/speed.md), so run it on one: --keep DIR with
# --compress-only makes the models beforehand, and a second run with the same --keep measures.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
claw="${CLAW:-$here/build/claw}"
preset="" tokenizer="" model="" ratio=0.5 reps=3 decode=64 prefill=128 engine=claw keep=""
compress_only=0 dtype=stored
methods="random,magnitude,prunenet,slicegpt,shortgpt,heads,flap"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --preset) preset="$2"; shift 2 ;;
    --tokenizer) tokenizer="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --ratio) ratio="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    --decode) decode="$2"; shift 2 ;;
    --prefill) prefill="$2"; shift 2 ;;
    --engine) engine="$2"; shift 2 ;;
    --dtype) dtype="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    --compress-only) compress_only=1; shift ;;
    *) echo "method_speedups.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [[ -z "$preset" && -z "$model" ]] || [[ -n "$preset" && -n "$model" ]]; then
  echo "method_speedups.sh: pass one of --preset NAME and --model M" >&2
  exit 2
fi

# Runs a command with its progress kept in a log, which is shown only if it fails.
quietly() {
  local log="$1"
  shift
  "$@" >"$log" 2>&1 || { tail -3 "$log" >&2; exit 1; }
}

work="${keep:-$(mktemp -d)}"
mkdir -p "$work"
[[ -z "$keep" ]] && trap 'rm -rf "$work"' EXIT
if [[ -n "$preset" ]]; then
  model="$work/$preset"
  if [[ ! -d "$model" ]]; then
    quietly "$work/init.log" "$claw" init --preset "$preset" ${tokenizer:+--tokenizer "$tokenizer"} "$model"
  fi
fi

calibration=(--calib tinystories:train --calib-samples 4 --calib-len 128 --calib-batch 4)
IFS=, read -ra names <<<"$methods"
for method in "${names[@]}"; do
  out="$work/$method-r$ratio"
  extra=()
  case "$method" in
    prunenet) extra=(--episodes 2) ;;
    slicegpt | shortgpt | heads | flap) extra=("${calibration[@]}") ;;
  esac
  if [[ ! -d "$out" ]]; then
    quietly "$work/$method.log" "$claw" compress --model "$model" --method "$method" \
      --ratio "$ratio" "${extra[@]}" --out "$out"
  fi
done

[[ "$compress_only" == 1 ]] && exit 0

echo "claw bench --engine $engine --dtype $dtype --batch 1 --prefill $prefill --decode $decode --reps $reps," \
  "ratio $ratio, against $(basename "$model")"
for method in "${names[@]}"; do
  echo "== $method"
  "$claw" bench --model "$work/$method-r$ratio" --base "$model" --engine "$engine" \
    --dtype "$dtype" --batch 1 \
    --prefill "$prefill" --decode "$decode" --reps "$reps" 2>"$work/bench.log" ||
    { tail -1 "$work/bench.log" >&2; exit 1; }
done
