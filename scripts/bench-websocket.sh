#!/usr/bin/env bash
# Runs the WebSocket wire benchmarks (actr Send vs a bare coder/websocket
# write loop, in the same run) and prints, per payload size, the median
# ns/op of each and the throughput ratio bare/actr (goal: >= 0.95, issue 7):
# first BenchmarkSendPaired (both in one process, taking turns: the figure
# the goal is judged on), then BenchmarkSend and BenchmarkEndToEnd (each
# side in a process of its own).
# Usage: scripts/bench-websocket.sh [count] [benchtime] [paired]
#   paired: runs of BenchmarkSendPaired per round (default 1). A round's
#   ratio moves by several percent on a busy machine, so the goal's median
#   wants more of them.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-10}"
benchtime="${2:-1s}"
paired="${3:-1}"
# The machines are noisy: build once, then interleave the runs so that
# drift hits actr and bare alike.
bin=$(mktemp -d)/websocket.test
trap 'rm -rf "$(dirname "$bin")"' EXIT
go test -c -o "$bin" ./wire/websocket
# Each figure runs in its own process, and which of actr and bare goes
# first alternates every round, so that neither always runs on a warmer
# (or more loaded) machine than the other.
out=$(for i in $(seq "$count"); do
  for _ in $(seq "$paired"); do
    (cd wire/websocket && "$bin" -test.run '^$' -test.bench '^BenchmarkSendPaired$' -test.benchtime "$benchtime")
  done
  if ((i % 2)); then order="actr bare"; else order="bare actr"; fi
  for bench in BenchmarkSend BenchmarkEndToEnd; do
    for size in 64B 1024B 65536B; do
      for side in $order; do
        (cd wire/websocket && "$bin" -test.run '^$' -test.bench "^$bench\$/^$size\$/^$side\$" -test.benchmem -test.benchtime "$benchtime")
      done
    done
  done
done)
echo "$out" | grep '^Benchmark'
echo
# BenchmarkSendPaired: actr and bare take turns in one process; per size,
# the medians of the rounds and the range of the wall-clock ratio.
echo "$out" | awk '
  function median(key, m,   i, j, t, a) {
    for (i = 1; i <= m; i++) a[i] = v[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    lo[key] = a[1]; hi[key] = a[m]
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  /^BenchmarkSendPaired\// {
    name = $1; sub(/-[0-9]+$/, "", name)
    n[name]++
    for (i = 4; i <= NF; i++) v[name "|" $i, n[name]] = $(i - 1)
  }
  END {
    printf "%-28s %12s %12s %8s %14s\n", "paired", "actr ns/msg", "bare ns/msg", "ratio", "ratio range"
    for (k in n) {
      m = n[k]
      r = median(k "|bare/actr", m)
      printf "%-28s %12.0f %12.0f %8.3f %6.2f..%-6.2f\n", k, median(k "|actr-ns/msg", m), median(k "|bare-ns/msg", m), r, lo[k "|bare/actr"], hi[k "|bare/actr"]
    }
  }' | sort
echo
echo "$out" | awk '
  function median(key, m,   i, j, t, a) {
    for (i = 1; i <= m; i++) a[i] = v[key, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    n[name]++; v[name "|ns", n[name]] = $3
    for (i = 4; i <= NF; i++) if ($i == "ctxsw/op") v[name "|sw", n[name]] = $(i - 1)
  }
  END {
    printf "%-28s %12s %12s %8s %12s %12s\n", "benchmark", "actr ns/op", "bare ns/op", "ratio", "actr ctxsw", "bare ctxsw"
    for (k in n) if (k ~ /\/actr$/) {
      b = k; sub(/\/actr$/, "/bare", b)
      a1 = median(k "|ns", n[k]); b1 = median(b "|ns", n[b])
      printf "%-28s %12.0f %12.0f %8.3f %12.3f %12.3f\n", k, a1, b1, b1 / a1, median(k "|sw", n[k]), median(b "|sw", n[b])
    }
  }' | sort
