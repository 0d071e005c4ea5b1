#!/usr/bin/env bash
# Obtains the pinned llama.cpp source: the git bundle shipped inside the npm package
# node-llama-cpp@3.21.1, checked against npm's recorded integrity, cloned into third_party/llama.cpp.
set -euo pipefail

readonly package="node-llama-cpp@3.21.1"
readonly integrity="sha512-E3N0Ev2Va0wzydvXYFwM9Hvyo07PoWjt8T/9GMc43Cvt8YkV/NU/tYUgEMC1grTPv2o9PRjQi0G3Wb5P/awiMg=="
readonly commit="80fb11ac73e66d89eae2c6a91d8a77428fa733ed"

root=$(cd "$(dirname "$0")/.." && pwd)
dest="${1:-$root/third_party/llama.cpp}"

if [ -d "$dest/.git" ] && [ "$(git -C "$dest" rev-parse HEAD 2>/dev/null)" = "$commit" ]; then
    echo "llama.cpp ${commit:0:12} already at $dest"
    exit 0
fi
command -v npm >/dev/null || { echo "error: npm is needed to fetch llama.cpp (apt-get install npm), or pass -DLLMSWEEP_LLAMA_SOURCE=/path/to/llama.cpp to cmake" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "fetching $package (llama.cpp ${commit:0:12}) ..."
(cd "$work" && npm pack --silent "$package" >/dev/null)
tarball=$(ls "$work"/*.tgz)
actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$actual" != "$integrity" ]; then
    echo "error: $package integrity mismatch: expected $integrity, got $actual" >&2
    exit 1
fi
tar -xzf "$tarball" -C "$work" package/llama/gitRelease.bundle
rm -rf "$dest.tmp"
mkdir -p "$(dirname "$dest")"
git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$dest.tmp"
git -C "$dest.tmp" -c advice.detachedHead=false checkout --quiet "$commit"
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "llama.cpp ${commit:0:12} ready at $dest"
