#!/usr/bin/env bash
# Installs what building, testing and the demo need on Debian (bookworm), and nothing
# when it is all there already. Used by tests/run.sh, loaders/demo.sh and CI.
set -euo pipefail
packages=(g++ cmake make pkg-config redis-server redis-tools libhiredis-dev libeigen3-dev
          libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev libfmt-dev nlohmann-json3-dev
          libhnswlib-dev libtsan2 clang-16 libclang-rt-16-dev libxxhash-dev
          python3-torch python3-numpy python3-redis)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
  { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
