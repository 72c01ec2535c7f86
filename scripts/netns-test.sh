#!/usr/bin/env bash
# The real-network test of issue 25 (opt-in, needs root; not in CI): Linux network
# namespaces as hosts, kernel NAT between them.
#
#   actr-pub   "public" segment 203.0.113.0/24 (a bridge): actr signal + TURN on
#              203.0.113.1, and an echo node with a WebSocket gate
#   actr-nat1  NAT router 203.0.113.11 ↔ 10.10.1.0/24: nftables masquerade
#              (Linux conntrack: endpoint-independent mapping, port-restricted filtering)
#   actr-nat2  NAT router 203.0.113.12 ↔ 10.10.2.0/24: masquerade random, a new
#              port per destination (symmetric)
#   actr-a     10.10.1.2 behind nat1: the sender (actr send, actr bench)
#   actr-b     10.10.2.2 behind nat2: an echo node
#
# It checks: a → pub over WebRTC, direct (through nat1's mapping); a → b over WebRTC,
# through the relay (nat2 is symmetric); a → pub over WebSocket to the gate; and it
# measures connect time and throughput direct vs relayed (the same pair, --webrtc-relay-only),
# and the TURN server's CPU per relayed MB. Only addresses inside these namespaces are
# used; everything it made (namespaces, their links and nftables rules, processes,
# files) is removed when it exits, whatever the outcome.
#
#   sudo scripts/netns-test.sh            # prints each check and a figures table
#   NETNS_BENCH=10s sudo scripts/netns-test.sh
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
	echo "netns-test: needs root (network namespaces, nftables): sudo $0" >&2
	exit 2
fi
for tool in ip nft; do
	command -v "$tool" >/dev/null || { echo "netns-test: $tool not found (apt-get install iproute2 nftables)" >&2; exit 2; }
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="${NETNS_BENCH:-3s}"
work="$(mktemp -d)"
ns=(actr-pub actr-nat1 actr-nat2 actr-a actr-b)
pids=()

cleanup() {
	set +e
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${ns[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT

for n in "${ns[@]}"; do
	if ip netns list | grep -qw "$n"; then
		echo "netns-test: namespace $n exists (a previous run?): ip netns del $n" >&2
		exit 1
	fi
done

echo "netns-test: building actr"
(cd "$root" && go build -o "$work/actr" ./cmd/actr)
actr="$work/actr"

nsx() { local n="$1"; shift; ip netns exec "$n" "$@"; }

for n in "${ns[@]}"; do
	ip netns add "$n"
	nsx "$n" ip link set lo up
done

# The public segment: a bridge in actr-pub, the NATs' WAN sides on it.
nsx actr-pub ip link add br0 type bridge
nsx actr-pub ip addr add 203.0.113.1/24 dev br0
nsx actr-pub ip link set br0 up
i=0
for r in nat1 nat2; do
	i=$((i + 1))
	ip link add "wan-$r" netns actr-pub type veth peer name wan netns "actr-$r"
	nsx actr-pub ip link set "wan-$r" master br0 up
	nsx "actr-$r" ip addr add "203.0.113.1$i/24" dev wan
	nsx "actr-$r" ip link set wan up
	h=$([ "$r" = nat1 ] && echo a || echo b)
	ip link add lan netns "actr-$r" type veth peer name eth0 netns "actr-$h"
	nsx "actr-$r" ip addr add "10.10.$i.1/24" dev lan
	nsx "actr-$r" ip link set lan up
	nsx "actr-$h" ip addr add "10.10.$i.2/24" dev eth0
	nsx "actr-$h" ip link set eth0 up
	nsx "actr-$h" ip route add default via "10.10.$i.1"
	nsx "actr-$r" sysctl -qw net.ipv4.ip_forward=1
done
nsx actr-nat1 nft -f - <<'EOF'
table ip actrnat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan" masquerade
	}
}
EOF
nsx actr-nat2 nft -f - <<'EOF'
table ip actrnat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "wan" masquerade random
	}
}
EOF

fail() { echo "netns-test: FAIL: $*" >&2; for f in "$work"/*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }

# wait_line FILE PATTERN: the first line of FILE matching PATTERN, waiting up to 20 s.
wait_line() {
	for _ in $(seq 200); do
		if l=$(grep -m1 -E "$2" "$1" 2>/dev/null); then echo "$l"; return 0; fi
		sleep 0.1
	done
	fail "no line /$2/ in $1"
}

head -c 32 /dev/urandom | base64 >"$work/turn.secret"
# Not through nsx: $! must be actr's pid (ip netns exec execs it), for its CPU time.
ip netns exec actr-pub "$actr" signal --listen 203.0.113.1:7000 --key "$work/signal.key" \
	--turn-listen 203.0.113.1:3478 --turn-secret-file "$work/turn.secret" --turn-bandwidth -1 \
	--metrics-listen 203.0.113.1:9200 >"$work/signal.log" 2>&1 &
pids+=($!)
signal_pid=$!
wait_line "$work/signal.log" '^ICE servers handed' >/dev/null
sig=ws://203.0.113.1:7000/

start_node() { # NAMESPACE NAME [FLAGS...]: an echo node; prints its actor id
	local n="$1" name="$2"
	shift 2
	nsx "$n" "$actr" node --signal "$sig" --log-level info "$@" >"$work/$name.out" 2>"$work/$name.log" &
	pids+=($!)
	wait_line "$work/$name.out" '^actor ' | awk '{print $2}'
}
pub=$(start_node actr-pub pub --ws-listen 203.0.113.1:9001)
b=$(start_node actr-b b --no-websocket)
echo "netns-test: signaling+TURN on 203.0.113.1; node pub $pub (gate 203.0.113.1:9001); node b $b behind the symmetric NAT"

send() { # NAME TO [FLAGS...]: actr send from actr-a; prints its stderr
	local name="$1" to="$2"
	shift 2
	nsx actr-a "$actr" send --signal "$sig" --to "$to" --timeout 20s --log-level info "$@" "hello from a" \
		>"$work/$name.reply" 2>"$work/$name.log" || fail "$name: actr send exited $?"
	[ "$(cat "$work/$name.reply")" = "hello from a" ] || fail "$name: wrong echo"
}
path() { grep -m1 -o 'WebRTC connected.*' "$1" || true; }

send direct "$pub" --no-websocket
p=$(path "$work/direct.log")
echo "check: a → pub over WebRTC: $p"
case "$p" in *relayed=false*) ;; *) fail "a → pub was not direct" ;; esac

send relayed "$b" --no-websocket
p=$(path "$work/relayed.log")
echo "check: a → b over WebRTC (b behind the symmetric NAT): $p"
case "$p" in *relayed=true*) ;; *) fail "a → b did not go through the relay" ;; esac

send ws "$pub" --no-webrtc
grep -q "over websocket" "$work/ws.log" || fail "a → pub's gate: no reply over websocket"
echo "check: a → pub over WebSocket to the gate on the public segment: ok"

cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # clock ticks (1/100 s)
relayed_bytes() { # what the TURN server relayed so far, both directions
	nsx actr-pub python3 -c 'import urllib.request
b = urllib.request.urlopen("http://203.0.113.1:9200/metrics").read().decode()
print(sum(float(l.split()[-1]) for l in b.splitlines() if l.startswith("actr_turn_relayed_bytes_total")))'
}
bench() { # NAME TO [FLAGS...]: JSON of actr bench from actr-a
	local name="$1" to="$2"
	shift 2
	nsx actr-a "$actr" bench --signal "$sig" --to "$to" --no-websocket --size 16384 --concurrency 16 \
		--duration "$bench" --json --log-level warn "$@" >"$work/$name.json" 2>"$work/$name.log" || fail "$name: actr bench exited $?"
}
echo "netns-test: benchmarks ($bench each, 16 KiB messages, 16 in flight)"
bench b-direct "$pub"
c0=$(cpu "$signal_pid")
r0=$(relayed_bytes)
bench b-relay "$pub" --webrtc-relay-only
c1=$(cpu "$signal_pid")
r1=$(relayed_bytes)
bench b-nat "$b"

row() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("| %s | %.0f ms | %.1f | %.2f ms | %.2f ms |" % (sys.argv[2], r["connect_ms"], r["mb_per_sec"], r["p50_us"]/1000, r["p99_us"]/1000))' "$1" "$2"; }
echo
echo "| path (netns, kernel NAT) | connect | MB/s one way | RTT p50 | RTT p99 |"
echo "|---|---|---|---|---|"
row "$work/b-direct.json" "a → pub, direct (cone NAT → public)"
row "$work/b-relay.json" "a → pub, relayed (--webrtc-relay-only)"
row "$work/b-nat.json" "a → b, relayed (cone NAT ↔ symmetric NAT)"
python3 -c 'import sys; c=float(sys.argv[2])-float(sys.argv[1]); mb=(float(sys.argv[4])-float(sys.argv[3]))/1e6; print("\nTURN (actr signal process) CPU during the relayed run: %.2f s for %.1f MB relayed: %.1f ms per relayed MB (signaling included)" % (c/100, mb, c*10/mb if mb else 0))' "$c0" "$c1" "$r0" "$r1"
echo
echo "netns-test: PASS"
