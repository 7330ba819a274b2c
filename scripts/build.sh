#!/usr/bin/env bash
# Configures and builds into DIR (default build) with warnings as errors; extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSETTLE_WERROR=ON "$@"
cmake --build "$dir" -j "$(nproc)"
