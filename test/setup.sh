#!/usr/bin/env bash
# Installs what the test suite needs from outside npm when it is missing, so that `npm ci && npm test` works on a
# fresh Debian machine: Chromium for the browser tests (playwright's own browser download is not used) and
# iproute2 for the multi-host tests (without `ip`, or without root, those run on loopback and say so), php-cli
# for the tests that speak GatewayWorker's protocol from PHP, and socat, a device that is not Node for the TCP
# gateway tests (without it that test is skipped and says so), redis-server for the tests of the Redis
# history (each starts its own on a free loopback port), and prometheus for its `promtool check metrics`, which the
# metrics tests run on every role's /metrics.
# Installing needs root and apt-get; otherwise it prints one line saying what to install and goes on.
set -uo pipefail

missing=()
[ -n "${CHROMIUM_PATH:-}" ] || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v php >/dev/null 2>&1 || missing+=(php-cli)
command -v socat >/dev/null 2>&1 || missing+=(socat)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "test setup: ${missing[*]} missing and not root with apt-get: install it (apt-get install -y ${missing[*]}) or set CHROMIUM_PATH; the tests that need it will fail" >&2
  exit 0
fi
echo "test setup: installing ${missing[*]} with apt-get" >&2
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
  echo "test setup: could not install ${missing[*]}; the tests that need it will fail" >&2
exit 0
