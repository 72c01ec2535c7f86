#!/usr/bin/env bash
# Runs the WebSocket wire benchmarks (actr Send vs a bare coder/websocket
# write loop, in the same run) and prints, per payload size, the median
# ns/op of each and the throughput ratio actr/bare (goal: >= 0.95, issue 7).
# Usage: scripts/bench-websocket.sh [count] [benchtime]
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10}"
benchtime="${2:-1s}"
# The machines are noisy: build once, then interleave the runs so that
# drift hits actr and bare alike.
bin=$(mktemp -d)/websocket.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./wire/websocket
out=$(for _ in $(seq "$count"); do
  (cd wire/websocket && "$bin" -test.run '^$' -test.bench '^(BenchmarkSend|BenchmarkEndToEnd)$' -test.benchmem -test.benchtime "$benchtime")
done)
echo "$out" | grep '^Benchmark'
echo
echo "$out" | awk '
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    n[name]++; v[name, n[name]] = $3
  }
  END {
    for (k in n) {
      m = n[k]
      for (i = 1; i <= m; i++) a[i] = v[k, i]
      for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      med[k] = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    printf "%-28s %12s %12s %8s\n", "benchmark", "actr ns/op", "bare ns/op", "ratio"
    for (k in med) if (k ~ /\/actr$/) {
      b = k; sub(/\/actr$/, "/bare", b)
      printf "%-28s %12.0f %12.0f %8.2f\n", k, med[k], med[b], med[b] / med[k]
    }
  }' | sort
