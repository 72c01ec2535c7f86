#!/usr/bin/env bash
# Opt-in soak (not in CI): 50 nodes with both wires churn — sends between
# random pairs, transports closed, nodes replaced — for a duration
# (default 10m), then every node closes and goroutines, open files and
# live heap must be back to their baseline. Figures are in the -v log.
#
#   ./scripts/soak.sh [duration]
set -euo pipefail
cd "$(dirname "$0")/.."
d="${1:-10m}"
ACTR_SOAK="$d" go test -count=1 -run '^TestSoak$' -timeout 60m -v ./node
