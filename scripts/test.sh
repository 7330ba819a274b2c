#!/usr/bin/env bash
# Builds and runs every test (the dashboard's in headless Chromium among them): once normally,
# once under AddressSanitizer + UBSan.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/deps.sh
./scripts/web_deps.sh  # the dashboard's libraries and its browser tests' driver (npm ci)
./scripts/build.sh build
./scripts/check_limits.sh  # files <= 600 lines, functions <= 70, unless a comment says why
(cd build && ctest --output-on-failure --timeout 600)
./scripts/build.sh build-asan -DSETTLE_SANITIZE=ON
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure --timeout 900)
