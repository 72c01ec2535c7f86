#!/usr/bin/env bash
# Runs the benchmark suite and writes docs/BENCHMARKS.md: every figure
# next to its bare baseline measured in the same run, on this machine.
# Usage: scripts/benchmarks.sh [rounds]   (default 3; more rounds, steadier medians)
# Takes a few minutes; not part of CI. ACTR_BENCH_PEERS=0 leaves out the
# peer benchmark (bench/peers: grpc-go, NATS and the bare floors, about
# a minute a round).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
out=docs/BENCHMARKS.md
mkdir -p docs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== transport hot path" >&2
go test -run '^$' -bench 'BenchmarkSend$|BenchmarkBaselineMapLookup' -benchmem -count "$rounds" ./transport >"$tmp/transport.txt"
echo "== first-send storm" >&2
go test -run '^$' -bench FirstSendStorm -benchtime 5x -count "$rounds" ./transport >"$tmp/storm.txt"
echo "== idle memory per WebSocket dest" >&2
go test -run '^$' -bench IdleMemoryPerDest -benchtime 1x -count "$rounds" ./wire/websocket >"$tmp/idle.txt"
echo "== idle memory per WebRTC peer, against bare pion pairs" >&2
go test -run '^$' -bench IdleMemoryPerPeer -benchtime 1x -count "$rounds" ./wire/webrtc >"$tmp/rtcidle.txt"
echo "== WebSocket wire" >&2
./scripts/bench-websocket.sh "$((rounds * 2))" 1s 5 >"$tmp/websocket.txt"
echo "== WebRTC wire" >&2
./scripts/bench-webrtc.sh "$rounds" 2s 50x 5 >"$tmp/webrtc.txt"
echo "== Send latency at 10 and 10,000 WebSocket dests, separate and paired (a sink process at the far end)" >&2
go test -run '^$' -bench SendLatencyAtScale -benchtime 200000x -count "$rounds" ./wire/websocket >"$tmp/scale.txt"
echo "== signaling relay" >&2
go test -run '^$' -bench Relay -benchtime 2s -count "$rounds" ./signaling >"$tmp/relay.txt"
echo "== signaling cluster: 1 to 3 servers over embedded NATS (signaling/natscluster)" >&2
./scripts/bench-cluster.sh "$rounds" >"$tmp/cluster.txt"
if [ "${ACTR_BENCH_PEERS:-1}" != 0 ]; then
  echo "== peers: actr against grpc-go, NATS, bare coder/websocket and bare TCP (bench/peers)" >&2
  ./scripts/bench-peers.sh "$rounds" >"$tmp/peers.txt"
fi
echo "== user-space instructions per WebSocket message (callgrind)" >&2
for size in 64 1024; do ./scripts/count-instructions.sh "$size"; done >"$tmp/instructions.txt"

# median VALUE-COLUMN of the lines of FILE matching RE
median() {
  grep -E "$2" "$1" | awk -v c="$3" '{ v[NR] = $c } END {
    n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    if (n == 0) { print "n/a"; exit }
    print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'
}
# median of the value before UNIT on the lines of FILE matching RE
metric() {
  { grep -E "$2" "$1" || true; } | awk -v u="$3" '{ for (i = 1; i < NF; i++) if ($(i + 1) == u) print $i }' | sort -g | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# a / b to 2 decimals, or n/a
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0 || b + 0 == 0) print "n/a"; else printf "%.3f", a / b }'; }
ser=$(median "$tmp/transport.txt" '^BenchmarkSend/serial' 3)
par=$(median "$tmp/transport.txt" '^BenchmarkSend/parallel' 3)
mser=$(median "$tmp/transport.txt" '^BenchmarkBaselineMapLookup/serial' 3)
mpar=$(median "$tmp/transport.txt" '^BenchmarkBaselineMapLookup/parallel' 3)
storm=$(median "$tmp/storm.txt" '^BenchmarkFirstSendStorm' 3)
dials=$(median "$tmp/storm.txt" '^BenchmarkFirstSendStorm' 5)
idle=$(grep -E '^BenchmarkIdleMemoryPerDest' "$tmp/idle.txt" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "B/dest") print $i }' | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1024 }')
idleg=$(median "$tmp/idle.txt" '^BenchmarkIdleMemoryPerDest' 7)
rtcB=$(metric "$tmp/rtcidle.txt" '^BenchmarkIdleMemoryPerPeer/actr' B/peer)
rtcBareB=$(metric "$tmp/rtcidle.txt" '^BenchmarkIdleMemoryPerPeer/bare' B/peer)
rtcG=$(metric "$tmp/rtcidle.txt" '^BenchmarkIdleMemoryPerPeer/actr' goroutines/peer)
rtcBareG=$(metric "$tmp/rtcidle.txt" '^BenchmarkIdleMemoryPerPeer/bare' goroutines/peer)
rtcRatioB=$(ratio "$rtcB" "$rtcBareB")
rtcRatioG=$(ratio "$rtcG" "$rtcBareG")
# sep DESTS VARIANT UNIT and paired VARIANT UNIT: medians of the scale benchmarks
sep() { metric "$tmp/scale.txt" "^BenchmarkSendLatencyAtScale/dests=$1/$2-" "$3"; }
paired() { metric "$tmp/scale.txt" "^BenchmarkSendLatencyAtScalePaired/$1-" "$2"; }
p10=$(sep 10 actr p99-ns)
p10k=$(sep 10000 actr p99-ns)
m10=$(sep 10 actr p50-ns)
m10k=$(sep 10000 actr p50-ns)
bp10=$(sep 10 bare p99-ns)
bp10k=$(sep 10000 bare p99-ns)
bm10=$(sep 10 bare p50-ns)
bm10k=$(sep 10000 bare p50-ns)
pp10=$(paired actr p99-ns@10)
pp10k=$(paired actr p99-ns@10000)
pm10=$(paired actr p50-ns@10)
pm10k=$(paired actr p50-ns@10000)
pr=$(paired actr p99-ratio)
bpp10=$(paired bare p99-ns@10)
bpp10k=$(paired bare p99-ns@10000)
bpr=$(paired bare p99-ratio)
tp10=$(sep 10 tcp p99-ns)
tp10k=$(sep 10000 tcp p99-ns)
tm10=$(sep 10 tcp p50-ns)
tm10k=$(sep 10000 tcp p50-ns)
tpp10=$(paired tcp p99-ns@10)
tpp10k=$(paired tcp p99-ns@10000)
tpr=$(paired tcp p99-ratio)
many=$(median "$tmp/transport.txt" '^BenchmarkSend/random-of-10000' 3)
mmany=$(median "$tmp/transport.txt" '^BenchmarkBaselineMapLookup/random-of-10000' 3)
pallocs=$(median "$tmp/transport.txt" '^BenchmarkSend/parallel' 7)
allocs=$(median "$tmp/transport.txt" '^BenchmarkSend/serial' 7)
# met EXPR: yes if the awk expression holds, no otherwise, n/a if a figure is missing
met() { case "$1" in *n/a*) echo "n/a" ;; *) awk "BEGIN { print ($1) ? \"yes\" : \"**no**\" }" ;; esac; }
# wsrow NAME: actr ns/op, bare ns/op and ratio of a row of bench-websocket.sh's table
wsrow() { awk -v k="$1" '$1 == k { print $2, $3, $4; f = 1 } END { if (!f) print "n/a n/a n/a" }' "$tmp/websocket.txt"; }
# wsprow NAME: actr, bare, ratio and ratio range of a paired row of bench-websocket.sh
# insrow SIZE: actr and bare instructions per message and bare/actr, from count-instructions.sh
insrow() { awk -v k="user-space instructions per $1 B message" '
  index($0, k) == 1 { f = 1; next }
  f && $1 == "bare" { b = $NF } f && $1 == "actr" { a = $NF }
  f && /^bare\/actr:/ { print a, b, $2; f = 0; done = 1 }
  END { if (!done) print "n/a n/a n/a" }' "$tmp/instructions.txt"; }
wsprow() { awk -v k="$1" '$1 == k { print $2, $3, $4, $5; f = 1 } END { if (!f) print "n/a n/a n/a n/a" }' "$tmp/websocket.txt"; }
# rtcrow FIGURE: actr, bare and ratio of a row of bench-webrtc.sh's table
rtcrow() { awk -v k="$1" 'substr($0, 1, 34) == sprintf("%-34s", k) { $0 = substr($0, 35); print $1, $2, $3; f = 1 } END { if (!f) print "n/a n/a n/a" }' "$tmp/webrtc.txt"; }
us() { awk -v n="$1" 'BEGIN { if (n == "n/a") print n; else printf "%.1f µs", n / 1000 }'; }
kib() { awk -v n="$1" 'BEGIN { if (n == "n/a") print n; else printf "%.1f KiB", n / 1024 }'; }
# cl BENCHMARK UNIT: a median of bench-cluster.sh's (its lines of medians name no -CPUs)
cl() { awk -v k="$1" -v u="$2" '$1 == k { for (i = 2; i < NF; i++) if ($(i + 1) == u) { print $i; f = 1; exit } } END { if (!f) print "n/a" }' "$tmp/cluster.txt"; }
cr1=$(cl BenchmarkClusterRelay/servers=1/actors=50 relays/s)
cr3=$(cl BenchmarkClusterRelay/servers=3/actors=50 relays/s)
cx3=$(cl BenchmarkClusterRelay/servers=3/actors=50 cross/op)
cg1=$(cl BenchmarkClusterRegister/servers=1/register registrations/s)
cg3=$(cl BenchmarkClusterRegister/servers=3/register registrations/s)
pp50=$(cl BenchmarkPresenceLatency/servers=3 p50-ms)
pp99=$(cl BenchmarkPresenceLatency/servers=3 p99-ms)
fo50=$(cl BenchmarkFailover/servers=3 p50-ms)
fo99=$(cl BenchmarkFailover/servers=3 p99-ms)
relay=$(grep -E '^BenchmarkRelay' "$tmp/relay.txt" | awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "relays/s") print $i }' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')

{
  echo "# Benchmarks"
  echo
  echo "Written by \`scripts/benchmarks.sh $rounds\` on $(date -u +%Y-%m-%d) at commit \`$(git rev-parse --short HEAD)\`."
  echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/^Mem:/ { print $2 }') GiB, $(go version | cut -d' ' -f3)."
  echo "Every ratio compares figures measured in the same run; the machines are shared and noisy, so read"
  echo "medians and ratios, not absolute numbers."
  echo
  echo "## Summary"
  echo
  echo "| figure | value | baseline (same run) | ratio | goal | met |"
  echo "|---|---|---|---|---|---|"
  echo "| \`Send\` hot path, connected dest, no-op wire, serial | $ser ns/op, $allocs allocs/op | map lookup $mser ns/op | $(ratio "$ser" "$mser")× | ≤ 100 ns/op, 0 allocs | $(met "$ser <= 100 && $allocs == 0") |"
  echo "| \`Send\` hot path, parallel | $par ns/op, $pallocs allocs/op | map lookup $mpar ns/op | $(ratio "$par" "$mpar")× | ≤ 100 ns/op, 0 allocs | $(met "$par <= 100 && $pallocs == 0") |"
  echo "| \`Send\` hot path, one of 10,000 connected dests at random | $many ns/op | map lookup over 10,000 dests $mmany ns/op | $(ratio "$many" "$mmany")× | reported | |"
  for size in 64B 1024B 65536B; do
    read -r a b r range < <(wsprow "BenchmarkSendPaired/$size")
    echo "| \`Send\` throughput over WebSocket, $size (actr and bare taking turns in one process) | $a ns/msg | coder/websocket write loop $b ns/msg | $r (bare time ÷ actr time, median of $((rounds * 10)) rounds; lowest and highest $range) | ≥ 0.95 | $(met "$r >= 0.95") |"
  done
  for size in 64 1024; do
    read -r a b r < <(insrow "$size")
    echo "| the same counted in user-space instructions per message (callgrind; the kernel's share is not counted), ${size}B | $a | coder/websocket write loop $b | $r (bare ÷ actr) | reported | |"
  done
  for size in 64B 1024B 65536B; do
    read -r a b r < <(wsrow "BenchmarkSend/$size/actr")
    echo "| the same, each side in a process of its own, $size | $a ns/op | coder/websocket write loop $b ns/op | $r | reported | |"
  done
  for size in 64B 1024B 65536B; do
    read -r a b r < <(wsrow "BenchmarkEndToEnd/$size/actr")
    echo "| the same with an actr node receiving (gate, reader, inbound queue, handler), $size | $a ns/op | coder/websocket write loop to a bare reader $b ns/op | $r | reported | |"
  done
  for size in 1KiB 64KiB; do
    read -r _ _ p < <(rtcrow "Send $size paired, median burst")
    read -r a b r < <(rtcrow "Send $size paired ns/msg")
    read -r sa sb _ < <(rtcrow "Send $size paired, stalled bursts")
    read -r da db _ < <(rtcrow "Send $size paired, UDP drops")
    echo "| \`Send\` throughput over WebRTC, $size (actr and bare taking turns in one process; actr asks for 4 MiB socket buffers and SCTP zero checksums) | $a ns/msg; $sa stalled bursts, $da UDP drops | pion DataChannel write loop, default settings: $b ns/msg; $sb stalled bursts, $db UDP drops | $r (bare time ÷ actr time, median of $((rounds * 5)) rounds) | ≥ 0.95 | $(met "$r >= 0.95") |"
    echo "| the same, each side's median burst (leaves out the stalled bursts) | — | — | $p | reported | |"
    read -r a b r < <(rtcrow "Send $size ns/op")
    echo "| the same, each side in a run of its own, $size | $a ns/op | $b ns/op | $r | reported | |"
    read -r a b r < <(rtcrow "Send $size ns/op, OS buffers")
    echo "| the same, actr with the OS-default socket buffers (\`UDPSocketBuffer\` -1, as bare has), $size | $a ns/op | $b ns/op | $r | reported | |"
  done
  for q in p50 p99; do
    read -r a b r < <(rtcrow "ColdConnect $q ms")
    echo "| cold connect over WebRTC including signaling, $q | $a ms | bare in-process pion handshake: $b ms | $r× | ≤ 2× | $(met "$r <= 2") |"
  done
  echo "| first-send storm: 10,000 goroutines over 1,000 dests | $(awk -v n="$storm" 'BEGIN { printf "%.1f ms", n / 1e6 }'), $dials dials | — | — | exactly 1,000 dials | $(met "$dials == 1000") |"
  echo "| idle memory per WebSocket dest, both ends (1,000 dests) | $idle KiB, $idleg goroutines | — | — | ≤ 64 KiB | $(met "$idle <= 64") |"
  echo "| idle memory per WebRTC peer, both ends (100 peers): heap+stack | $(kib "$rtcB") | bare pion pair, same 4 detached channels: $(kib "$rtcBareB") | ${rtcRatioB}× (of medians) | ≤ 1.1× | $(met "$rtcRatioB <= 1.1") |"
  echo "| idle goroutines per WebRTC peer, both ends | $rtcG | bare pion pair: $rtcBareG | ${rtcRatioG}× | ≤ 1.1× | $(met "$rtcRatioG <= 1.1") |"
  echo "| \`Send\` p99 latency at 10,000 WebSocket dests, 1 KiB to a random dest | p99 $(us "$p10k"), p50 $(us "$m10k") | same at 10 dests: p99 $(us "$p10"), p50 $(us "$m10") | $(ratio "$p10k" "$p10")× (p99) | ≤ 1.5× | $(met "$(ratio "$p10k" "$p10") <= 1.5") |"
  echo "| the same over bare coder/websocket connections to the same sink (no actr) | p99 $(us "$bp10k"), p50 $(us "$bm10k") | 10 connections: p99 $(us "$bp10"), p50 $(us "$bm10") | $(ratio "$bp10k" "$bp10")× (p99) | reported: the socket layer's own cost of scale | |"
  echo "| the same over hand-upgraded TCP connections, each Send one \`net.Conn\` Write of a frame encoded before the clock starts (no WebSocket library) | p99 $(us "$tp10k"), p50 $(us "$tm10k") | 10 connections: p99 $(us "$tp10"), p50 $(us "$tm10") | $(ratio "$tp10k" "$tp10")× (p99) | reported: the floor, the kernel and Go's poller alone | |"
  echo "| \`Send\` p99 latency, 10 and 10,000 WebSocket dests from one set of 10,000 connections, taking turns | p99 $(us "$pp10k"), p50 $(us "$pm10k") | the 10 hot dests of the same connections: p99 $(us "$pp10"), p50 $(us "$pm10") | ${pr}× (p99, median of rounds) | ≤ 1.5× | $(met "$pr <= 1.5") |"
  echo "| the same, bare coder/websocket connections | p99 $(us "$bpp10k") | 10 hot connections: p99 $(us "$bpp10") | ${bpr}× (p99, median of rounds) | reported: the socket layer's own cost of scale | |"
  echo "| the same, hand-upgraded TCP connections (no WebSocket library) | p99 $(us "$tpp10k") | 10 hot connections: p99 $(us "$tpp10") | ${tpr}× (p99, median of rounds) | reported: the floor, the kernel and Go's poller alone | |"
  echo "| signaling relay throughput, 50 actors | $relay relays/s | — | — | reported | |"
  echo "| signaling relay throughput across 3 servers over NATS, 50 actors (fraction crossing servers: $cx3) | $cr3 relays/s | 1 server on 1 NATS node: $cr1 relays/s | $(ratio "$cr3" "$cr1")× | reported | |"
  echo "| registrations across 3 servers over NATS | $cg3 registrations/s | 1 server: $cg1 registrations/s | $(ratio "$cg3" "$cg1")× | reported | |"
  echo "| presence event from server 3 to a subscriber on server 1, from Dial | p50 $pp50 ms, p99 $pp99 ms | — | — | reported | |"
  echo "| failover: a killed signaling server's actors resumed on another, from the kill (10 ms first backoff) | p50 $fo50 ms, p99 $fo99 ms | — | — | reported | |"
  echo
  echo "## WebSocket wire: \`OutprocManager.Send\` vs a bare coder/websocket write loop"
  echo
  echo '```'
  awk '$1 == "paired"' "$tmp/websocket.txt"
  awk '$1 ~ /^BenchmarkSendPaired\// && NF == 5' "$tmp/websocket.txt"
  echo
  awk '$1 == "benchmark"' "$tmp/websocket.txt"
  awk '$1 ~ /\/actr$/' "$tmp/websocket.txt"
  echo '```'
  echo
  echo "ratio = bare time ÷ actr time (≥ 1 means actr is as fast; goal ≥ 0.95). Paired: actr and bare take"
  echo "turns in bursts of a few milliseconds in one process, each to its own bare reader; ratio range: the"
  echo "lowest and highest round. Send: each side in a process of its own, to a bare reader; EndToEnd: an"
  echo "actr node receives (gate, reader, inbound queue, handler). ctxsw: context switches per message."
  echo
  echo "User-space instructions per message of BenchmarkSend (\`scripts/count-instructions.sh\`), by the package"
  echo "that executed them; runtime and other include the bare reader counting the messages:"
  echo
  echo '```'
  cat "$tmp/instructions.txt"
  echo '```'
  echo
  echo "## WebRTC wire: \`OutprocManager.Send\` vs a bare pion DataChannel loop; cold connect"
  echo
  echo '```'
  sed -n '/^medians of/,$p' "$tmp/webrtc.txt"
  echo '```'
  echo
  if [ -s "$tmp/peers.txt" ]; then
    echo "## Peers: actr against grpc-go, NATS and the bare floors (\`scripts/bench-peers.sh $rounds\`)"
    echo
    cat "$tmp/peers.txt"
    echo
  fi
  echo "## Signaling cluster over NATS (\`scripts/bench-cluster.sh $rounds\`)"
  echo
  echo '```'
  cat "$tmp/cluster.txt"
  echo '```'
  echo
  # The browser figures come from the browser tests, not from this run.
  if [ -s docs/BENCHMARKS-browser.md ]; then
    cat docs/BENCHMARKS-browser.md
    echo
  fi
  echo "## Raw output"
  echo
  for f in transport storm idle rtcidle websocket webrtc scale relay; do
    echo '```'
    grep -E '^Benchmark.* ns/op' "$tmp/$f.txt"
    echo '```'
  done
} >"$out"
echo "wrote $out" >&2
