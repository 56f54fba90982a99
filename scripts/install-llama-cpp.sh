#!/usr/bin/env bash
# install-llama-cpp.sh [DIR]: puts llama.cpp's prebuilt CPU libraries and their public headers in
# DIR (default .deps/llama.cpp), for tools/llama_cpp_driver, the tests that compare claw with
# llama.cpp and bench/llama_cpp_bench. They come from the npm packages of node-llama-cpp, which
# ship llama.cpp built for Linux x86-64 (one ggml CPU library per instruction set, chosen at run
# time) and its sources as a git bundle. Only the two package tarballs are fetched (npm pack, no
# dependencies, no install scripts); nothing of Node.js runs. Does nothing when DIR already holds
# this version. Used by setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
version=3.22.1  # node-llama-cpp; llama.cpp's release is in DIR/VERSION
dir=${1:-.deps/llama.cpp}

if [[ -f $dir/.installed && $(cat "$dir/.installed") == "$version" ]]; then
  exit 0
fi
case "$(uname -m)" in
  x86_64) platform=linux-x64 ;;
  *) echo "setup: no prebuilt llama.cpp for $(uname -m); llama.cpp comparisons are not built" >&2
     exit 0 ;;
esac
command -v npm >/dev/null || bash scripts/install-packages.sh npm
command -v git >/dev/null || bash scripts/install-packages.sh git

echo "setup: fetching llama.cpp from npm (node-llama-cpp $version)" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "node-llama-cpp@$version" "@node-llama-cpp/$platform@$version" \
  >/dev/null)
tar -xzf "$work/node-llama-cpp-$version.tgz" -C "$work" package/llama/gitRelease.bundle \
  package/llama/llama.cpp.info.json
mkdir -p "$work/bins"
tar -xzf "$work/node-llama-cpp-$platform-$version.tgz" -C "$work/bins" --strip-components=3 \
  --wildcards "package/bins/$platform/*.so"

rm -rf "$dir"
mkdir -p "$dir/lib" "$dir/include"
mv "$work"/bins/libllama.*.so "$work"/bins/libggml*.so "$dir/lib/"  # not libllama-common
# The headers of the release the libraries were built from.
git clone -q --no-checkout "$work/package/llama/gitRelease.bundle" "$work/src"
git -C "$work/src" archive HEAD include/llama.h ggml/include | tar -x -C "$work"
cp "$work"/include/llama.h "$work"/ggml/include/*.h "$dir/include/"
sed -n 's/.*"tag": *"\([^"]*\)".*/\1/p' "$work/package/llama/llama.cpp.info.json" >"$dir/VERSION"
echo "$version" >"$dir/.installed"
echo "setup: llama.cpp $(cat "$dir/VERSION") in $dir" >&2
