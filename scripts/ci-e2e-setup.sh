#!/usr/bin/env bash
# What the speedscope end-to-end test (test/e2e/speedscope.test.ts) needs besides npm packages:
# Debian's Chromium at /usr/bin/chromium (playwright-core drives it; no browser download).
# Idempotent and instant when Chromium is already there. Run as root or with sudo available.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
# try without refreshing the package lists first (fast when they are current)
if ! $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium
fi
test -x /usr/bin/chromium
echo "ci-e2e-setup: $(/usr/bin/chromium --version 2>/dev/null || echo chromium installed)"
