#!/usr/bin/env bash
# Builds reco and runs every test (engine unit tests, loader tests, and integration tests
# against ephemeral redis-servers). Installs missing packages first.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/tests/deps.sh"
build=${RECO_BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)" "$@"
