#!/usr/bin/env bash
# Runs the WebRTC wire benchmarks (actr against a bare pion pair, on
# loopback) and prints the medians and ratios against the goals:
#   throughput (BenchmarkSendPaired: both pairs in one process, taking
#   turns in bursts): bare time / actr time >= 0.95 (median of the
#   rounds). For information: the same for each side's median burst, and
#   how many bursts stalled on each side; BenchmarkSend's separate runs of
#   each side; actr with the OS-default socket buffers (UDPSocketBuffer -1).
#   cold connect (BenchmarkColdConnect): actr / bare <= 2, at p50 and p99
# Usage: scripts/bench-webrtc.sh [count] [benchtime] [connect-benchtime] [paired]
#   count              rounds (default 5)
#   benchtime          -benchtime of BenchmarkSend and BenchmarkSendPaired (default 2s)
#   connect-benchtime  -benchtime of BenchmarkColdConnect (default 50x)
#   paired             runs of BenchmarkSendPaired per round (default 1). A
#                      round's ratio moves by several percent on a busy
#                      machine, so the goal's median wants more of them.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-5}"
benchtime="${2:-2s}"
connecttime="${3:-50x}"
paired="${4:-1}"
# The machines are noisy: build once, then interleave the runs (and swap
# which of actr and bare goes first every round) so that drift hits both
# alike.
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bin="$dir/webrtc.test"
go test -c -o "$bin" ./wire/webrtc
run() { (cd wire/webrtc && "$bin" -test.run '^$' -test.benchmem "$@"); }
out="$dir/out"
: >"$out"
for i in $(seq "$count"); do
  if ((i % 2)); then order="actr bare"; else order="bare actr"; fi
  for side in $order actr-osbuf; do
    run -test.bench "^BenchmarkSend\$/^$side\$" -test.benchtime "$benchtime" | tee -a "$out" | grep '^Benchmark' || true
  done
  for _ in $(seq "$paired"); do
    run -test.bench '^BenchmarkSendPaired$' -test.benchtime "$benchtime" | tee -a "$out" | grep '^Benchmark' || true
  done
  for side in $order; do
    run -test.bench "^BenchmarkColdConnect\$/^$side\$" -test.benchtime "$connecttime" | tee -a "$out" | grep '^Benchmark' || true
  done
done
if grep -q '^--- FAIL\|^FAIL' "$out"; then
  echo "a benchmark failed" >&2
  exit 1
fi
echo
echo "medians of $count rounds, $((count * paired)) of BenchmarkSendPaired (Send: -benchtime $benchtime; ColdConnect: -benchtime $connecttime)"
awk '
  /^Benchmark/ {
    name = $1; sub(/-[0-9]+$/, "", name)
    for (i = 3; i < NF; i += 2) {
      k = name SUBSEP $(i + 1)
      n[k]++; v[k, n[k]] = $i
    }
  }
  function med(name, unit,   k, m, i, j, t, a) {
    k = name SUBSEP unit
    m = n[k]
    if (!m) return -1
    for (i = 1; i <= m; i++) a[i] = v[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
  }
  function row(fig, act, bar, fmt, ratio, goal, ok) {
    printf "%-34s %14s %14s %7s  %-7s %s\n", fig, sprintf(fmt, act), sprintf(fmt, bar), ratio == "-" ? "-" : sprintf("%.3f", ratio), goal, ok
  }
  END {
    printf "%-34s %14s %14s %7s  %-7s %s\n", "figure", "actr", "bare", "ratio", "goal", ""
    split("1KiB 64KiB", sizes, " ")
    for (s = 1; s <= 2; s++) {
      k = "BenchmarkSendPaired/" sizes[s]
      a = med(k, "actr-ns/msg"); b = med(k, "bare-ns/msg"); r = med(k, "bare/actr")
      if (a > 0 && b > 0) {
        row("Send " sizes[s] " paired ns/msg", a, b, "%.0f", r, ">= 0.95", r >= 0.95 ? "ok" : "MISSED")
        row("Send " sizes[s] " paired, median burst", "-", "-", "%s", med(k, "bare/actr-p50"), "", "")
        row("Send " sizes[s] " paired, stalled bursts", med(k, "actr-stalls"), med(k, "bare-stalls"), "%.1f", "-", "", "")
        if (med(k, "actr-cpu-ns/msg") >= 0) {
          row("Send " sizes[s] " paired, CPU ns/msg", med(k, "actr-cpu-ns/msg"), med(k, "bare-cpu-ns/msg"), "%.0f", med(k, "bare-cpu-ns/msg") / med(k, "actr-cpu-ns/msg"), "", "")
          row("Send " sizes[s] " paired, CPUs kept busy", med(k, "actr-cpu-busy"), med(k, "bare-cpu-busy"), "%.3f", "-", "", "")
        }
        if (med(k, "actr-udp-drops") >= 0) {
          row("Send " sizes[s] " paired, UDP drops", med(k, "actr-udp-drops"), med(k, "bare-udp-drops"), "%.0f", "-", "", "")
          row("Send " sizes[s] " paired, UDP datagrams/msg", med(k, "actr-udp-out/msg"), med(k, "bare-udp-out/msg"), "%.2f", "-", "", "")
        }
      }
      a = med("BenchmarkSend/actr/" sizes[s], "ns/op"); b = med("BenchmarkSend/bare/" sizes[s], "ns/op")
      if (a <= 0 || b <= 0) continue
      r = b / a
      row("Send " sizes[s] " ns/op", a, b, "%.0f", r, "", "")
      a = med("BenchmarkSend/actr/" sizes[s], "MB/s"); b = med("BenchmarkSend/bare/" sizes[s], "MB/s")
      row("Send " sizes[s] " MB/s", a, b, "%.2f", a / b, "", "")
      a = med("BenchmarkSend/actr-osbuf/" sizes[s], "ns/op"); b = med("BenchmarkSend/bare/" sizes[s], "ns/op")
      if (a > 0) row("Send " sizes[s] " ns/op, OS buffers", a, b, "%.0f", b / a, "", "")
    }
    split("p50-ns p99-ns ns/op", units, " ")
    split("p50 p99 mean", labels, " ")
    for (u = 1; u <= 3; u++) {
      a = med("BenchmarkColdConnect/actr", units[u]); b = med("BenchmarkColdConnect/bare", units[u])
      if (a <= 0 || b <= 0) continue
      r = a / b
      goal = u <= 2 ? "<= 2.00" : "" # the goal covers p50 and p99
      ok = u <= 2 ? (r <= 2 ? "ok" : "MISSED") : ""
      row("ColdConnect " labels[u] " ms", a / 1e6, b / 1e6, "%.2f", r, goal, ok)
    }
    print ""
    print "ratio: Send = bare time / actr time (MB/s rows: actr / bare); ColdConnect = actr / bare"
    print "paired: both pairs in one process, taking turns in bursts of about 1 MiB; medians of the rounds."
    print "  ns/msg and ratio: over all bursts (the goal); median burst: bare/actr of the median bursts of each side;"
    print "  stalled bursts: those over 4x the median of their side (SCTP recovering lost retransmissions one probe at a time);"
    print "  CPU ns/msg: the process CPU time (getrusage) during the bursts of each side, per message; CPUs kept busy: that / wall time / GOMAXPROCS;"
    print "  UDP drops, datagrams/msg: dropped on full receive buffers, and sent (both ends), during the bursts of each side (/proc/net/snmp)"
    print "Send ns/op rows: each side in a run of its own"
    print "actr Send 64KiB = 2 data channel messages (8-byte fragment header per <= 65527-byte chunk); bare = 1"
  }' "$out"
