#!/usr/bin/env bash
# Runs the signaling cluster benchmarks (signaling/natscluster, embedded
# NATS nodes on 127.0.0.1): relays and registrations per second across
# 1, 2 and 3 signaling servers, each on a NATS node of its own, and the
# latency of a presence event from server 3 to a subscriber on server 1,
# and the time the actors of a killed server take to resume on another.
# Prints the median of every figure over the rounds, then the raw lines.
# Usage: scripts/bench-cluster.sh [rounds] [ops] [presence-ops] [failover-ops]
#   defaults 3, 2000, 100 and 10 (kills of a server with 20 actors): about half a minute a round on 2 cores.
#   Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
ops="${2:-2000}"
pops="${3:-100}"
fops="${4:-10}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME BENCH-RE BENCHTIME: go test into $tmp/NAME.txt, shown on failure
run() {
  echo "== $1 (-benchtime $3 -count $rounds)" >&2
  if ! go test -run '^$' -bench "$2" -benchtime "$3" -count "$rounds" ./signaling/natscluster/ >"$tmp/$1.txt" 2>&1; then
    cat "$tmp/$1.txt" >&2
    exit 1
  fi
}
run cluster '^BenchmarkCluster(Relay|Register)$' "${ops}x"
run presence '^BenchmarkPresenceLatency$' "${pops}x"
run failover '^BenchmarkFailover$' "${fops}x"

echo "medians of $rounds rounds ($ops ops a round; presence $pops; failover $fops kills)"
# one line per benchmark, in the order run: the median of each figure
grep -hE '^Benchmark' "$tmp/cluster.txt" "$tmp/presence.txt" "$tmp/failover.txt" | awk '
  { name = $1; sub(/-[0-9]+$/, "", name)
    if (!(name in seen)) { seen[name] = 1; names[++nn] = name }
    for (i = 3; i < NF; i += 2) {
      k = name SUBSEP $(i + 1)
      if (!(k in cnt)) units[name] = units[name] " " $(i + 1)
      v[k, ++cnt[k]] = $i
    } }
  END {
    for (a = 1; a <= nn; a++) {
      name = names[a]; line = sprintf("%-48s", name)
      nu = split(units[name], us, " ")
      for (u = 1; u <= nu; u++) {
        k = name SUBSEP us[u]; n = cnt[k]
        for (i = 1; i <= n; i++) s[i] = v[k, i] + 0
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
        m = (n % 2) ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2
        line = line sprintf((m >= 100 ? "  %10.0f %s" : "  %10.4g %s"), m, us[u])
      }
      print line
    } }'
echo
echo "raw:"
grep -hE '^Benchmark' "$tmp/cluster.txt" "$tmp/presence.txt" "$tmp/failover.txt"
