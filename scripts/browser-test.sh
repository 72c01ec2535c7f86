#!/usr/bin/env bash
# Runs the browser client's tests (web/test): headless Chromium, driven by
# playwright-core, against actr processes on 127.0.0.1. It installs what it
# needs itself: Debian's chromium (apt-get, as root or through sudo) when
# /usr/bin/chromium is missing, and web/'s npm packages (`npm ci`, pinned by
# web/package-lock.json). A machine without node and npm, or where chromium
# cannot be installed, skips the tests and says so (exit 0); set
# ACTR_BROWSER_TESTS=required to fail instead.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
	echo "browser tests SKIPPED: $*" >&2
	if [ "${ACTR_BROWSER_TESTS:-}" = required ]; then exit 1; fi
	exit 0
}

command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || skip "node and npm are not installed"
chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
	command -v apt-get >/dev/null 2>&1 || skip "no $chromium and no apt-get to install Debian's chromium"
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || skip "no $chromium, and installing it needs root"
		sudo="sudo -n"
	fi
	echo "browser tests: installing Debian's chromium" >&2
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get install -y -qq chromium >/dev/null ||
		{ $sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null; } ||
		skip "apt-get could not install chromium"
fi

(cd web && npm ci --no-audit --no-fund --loglevel=error)

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/actr" ./cmd/actr
start=$(date +%s)
(cd web && ACTR_BIN="$tmp/actr" CHROMIUM="$chromium" npm test --silent)
echo "browser tests: $(( $(date +%s) - start )) s" >&2
