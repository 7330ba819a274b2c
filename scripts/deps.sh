#!/usr/bin/env bash
# Installs the Debian packages the project needs; skips apt when all are present.
set -euo pipefail
packages=(build-essential cmake ninja-build pkg-config libcaf-dev libmsgpack-cxx-dev
  libhiredis-dev libboost-test-dev libabsl-dev libfmt-dev libspdlog-dev libtoml11-dev
  libcli11-dev librapidcheck-dev libjemalloc-dev libxxhash-dev redis-server libpq-dev postgresql
  libbenchmark-dev universal-ctags tzdata libssl-dev libboost-dev prometheus-cpp-dev nlohmann-json3-dev python3
  chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
