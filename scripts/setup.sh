#!/usr/bin/env bash
# Installs what claw needs from Debian and llama.cpp from npm (only what is missing, so it is
# cheap to re-run), configures build/ and builds claw there (SETUP_BUILD=0: configure only).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libtorch-dev          # LibTorch 1.13: tensors, autograd, linear algebra
  libopenblas0-openmp   # fast BLAS for LibTorch (Debian's default reference BLAS is slow)
  nlohmann-json3-dev libcli11-dev libxxhash-dev
  libpcre2-dev libutf8proc-dev  # tokenizers: pre-tokenizer regexes, Unicode normalization
  libboost-math-dev     # laws: Student's t and F distributions
  libsqlite3-dev libtomlplusplus-dev gnuplot-nox  # studies: results store, config, plots
  libgtest-dev
  chromium              # tests: the study report rendered as a reader sees it
  slurm-wlm munge       # tests: a one-node Slurm that the cluster tests start themselves
)
bash scripts/install-packages.sh "${packages[@]}"
# llama.cpp, to check that claw's GGUF exports run there and to compare speeds.
bash scripts/install-llama-cpp.sh

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
# scripts/test.sh builds by itself, to time the build apart from the installs.
if [[ ${SETUP_BUILD:-1} != 0 ]]; then
  cmake --build build
fi
