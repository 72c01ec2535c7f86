#!/usr/bin/env bash
# Runs every test, with the race detector, plus a short pass of every fuzz
# target over its committed seed corpus (that part is `go test` itself: seeds
# run as ordinary tests). This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -race -count=1 -timeout 20m ./...
# The browser client in headless Chromium (skipped, saying why, where the
# machine has no node or cannot install chromium).
./scripts/browser-test.sh
