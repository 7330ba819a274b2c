#!/usr/bin/env bash
# Vendors the dashboard's libraries (uPlot for the page, playwright-core for its browser
# tests) into web/node_modules with `npm ci` from the checked-in web/package-lock.json; skips
# npm when they are already there for this lockfile. Node.js and npm come with the machine;
# on one without them they are installed from Debian.
set -euo pipefail
cd "$(dirname "$0")/../web"
if ! command -v npm >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends nodejs npm
fi
stamp=node_modules/.settle-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi
