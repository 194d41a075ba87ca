#!/usr/bin/env bash
# What the end-to-end tests need besides npm packages, from Debian's packages:
#  - Chromium at /usr/bin/chromium (test/e2e/speedscope.test.ts, test/e2e/html-report.test.ts;
#    playwright-core drives it, no browser download)
#  - qemu-system-x86_64 (test/e2e/record-qemu.test.ts: `bootprof record` running SeaBIOS)
# Idempotent and instant when both are there. Run as root or with sudo available.
set -euo pipefail
want=()
[ -x /usr/bin/chromium ] || want+=(chromium)
command -v qemu-system-x86_64 >/dev/null 2>&1 || want+=(qemu-system-x86)
if [ "${#want[@]}" -eq 0 ]; then
  exit 0
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s)
# try without refreshing the package lists first (fast when they are current)
if ! $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${want[@]}"
fi
test -x /usr/bin/chromium
command -v qemu-system-x86_64 >/dev/null
echo "ci-e2e-setup: installed ${want[*]} in $(($(date +%s) - t0)) s"
