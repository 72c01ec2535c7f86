#!/usr/bin/env bash
# Counts the user-space instructions per message of BenchmarkSend over the
# WebSocket wire, actr against a bare coder/websocket write loop, with
# valgrind's callgrind: a figure that, unlike wall-clock time, the other
# tenants of a shared machine do not move. The kernel's share (the write
# system call) is not counted: it is the same bytes on both sides.
#
# Usage: scripts/count-instructions.sh [size]   (default 64; 64, 1024 or 65536)
#
# Each side runs twice, with 2,000 and 12,000 messages; the difference,
# divided by 10,000, removes the set-up. Instructions are grouped by the
# package of the function that executed them (callgrind's exclusive
# counts, which stay right even where goroutine switches confuse its call
# graph). The "actr" group is this module's non-test code; "runtime" and
# "other" include the bare reader that counts the messages, and move a
# little from run to run with how the scheduler batches its wake-ups.
#
# It needs valgrind (installed with apt-get, through sudo when not root,
# if missing). GOMAXPROCS=1 keeps valgrind's serialised threads from
# spinning; GODEBUG=asyncpreemptoff=1 keeps Go's preemption signals away
# from valgrind. Takes about a minute; not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-64}"
if ! command -v valgrind >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
	{ $sudo apt-get install -y valgrind || { $sudo apt-get update && $sudo apt-get install -y valgrind; }; } >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/ws.test" ./wire/websocket

# count SIDE N: callgrind's per-package instruction totals for N messages.
count() {
	(cd wire/websocket && GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/cg.$1.$2" "$tmp/ws.test" -test.run '^$' \
		-test.bench "^BenchmarkSend\$/^${size}B\$/^$1\$" -test.benchtime "$2x" >/dev/null 2>&1)
	callgrind_annotate --auto=no --threshold=100 "$tmp/cg.$1.$2" | awk '
		/^ *[0-9,]+ \(/ && !/PROGRAM TOTALS/ {
			x = $1; gsub(",", "", x)
			if ($0 ~ /actr-go\/actr\/(transport|wire\/websocket|protocol)\./ && $0 !~ /_test/) a += x
			else if ($0 ~ /coder\/websocket/) w += x
			else if ($0 ~ /runtime\./) r += x
			else o += x
			t += x
		}
		END { printf "%d %d %d %d %d\n", a, w, r, o, t }'
}

echo "user-space instructions per ${size} B message (callgrind; 12,000 minus 2,000 messages, / 10,000)"
printf '%-6s %10s %15s %10s %10s %10s\n' side actr coder/websocket runtime other total
declare -A total
for side in bare actr; do
	read -r -a lo <<<"$(count "$side" 2000)"
	read -r -a hi <<<"$(count "$side" 12000)"
	per=()
	for i in 0 1 2 3 4; do per+=($(((hi[i] - lo[i]) / 10000))); done
	total[$side]=${per[4]}
	printf '%-6s %10d %15d %10d %10d %10d\n' "$side" "${per[@]}"
done
awk -v a="${total[actr]}" -v b="${total[bare]}" 'BEGIN { printf "bare/actr: %.3f\n", b / a }'
