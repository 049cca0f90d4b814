#!/usr/bin/env bash
# Builds reco and runs every test (engine unit tests, loader tests, and integration tests
# against ephemeral redis-servers), then the same unit and integration tests built with
# ASan + UBSan (clang, build-asan; ctest label `sanitize`) and the libFuzzer targets, each
# for a bounded time from the committed corpus (label `fuzz`). Installs missing packages
# first. RECO_SKIP_SANITIZE=1 runs the regular build's tests only.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tests/deps.sh"
build=${RECO_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
(cd "$build" && ctest --output-on-failure -j"$(nproc)" "$@")
[ "${RECO_SKIP_SANITIZE:-0}" = 1 ] && exit 0

asan=${RECO_ASAN_BUILD_DIR:-$root/build-asan}
cmake -S "$root" -B "$asan" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECO_SANITIZE=ON \
  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16
cmake --build "$asan" -j"$(nproc)"
cd "$asan"
ctest --output-on-failure -j"$(nproc)" -L sanitize "$@"
ctest --output-on-failure -j"$(nproc)" -L fuzz "$@"
