#!/usr/bin/env bash
# Opt-in (not in CI): issue 19's hostile-peer attacks H1–H13 against a real
# `actr signal` and `actr node` on 127.0.0.1. For each attack it prints the
# legit client's round trips (p50/p99) and the target process's RSS, live
# heap, open fds and goroutines before, during and after the attack, then
# the whole table in Markdown (for docs/SECURITY.md).
#
#   ./scripts/attack.sh [--phase DURATION] [H1 H2 ...]   (default: all, 5s phases)
#
# ACTR_SRC=DIR builds the targets' actr from another checkout (say, to
# measure a branch against the same attacker). ATTACK_PHASE sets the phase
# duration too; ATTACK_FRESH=1 restarts the
# targets before every attack (by default they are restarted only after an
# attack they did not recover from); ATTACK_ARGS passes more flags to
# the attacker (e.g. ATTACK_ARGS="--strangers 3000 --sinks 16"; see
# `go run ./internal/attack -h`). Everything it starts is stopped, and its
# temporary directory removed, when it exits.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: $0 [--phase DURATION] [H1 … H13]" >&2
	exit 2
}
all=(H1 H2 H3 H4 H5 H6 H7 H8 H9 H10 H11 H12 H13)
phase="${ATTACK_PHASE:-5s}"
names=()
while (($#)); do
	case "$1" in
	--phase)
		(($# >= 2)) || usage
		phase="$2"
		shift 2
		;;
	--phase=*)
		phase="${1#*=}"
		shift
		;;
	[Hh][0-9]*)
		n="${1^^}"
		[[ " ${all[*]} " == *" $n "* ]] || usage
		names+=("$n")
		shift
		;;
	*) usage ;;
	esac
done
((${#names[@]})) || names=("${all[@]}")

tmp="$(mktemp -d)"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

src="${ACTR_SRC:-.}"
[[ -d $src/cmd/actr ]] || {
	echo "ACTR_SRC=$src: no cmd/actr there" >&2
	exit 2
}
echo "building actr (from $src) and the attacker in $tmp" >&2
(cd "$src" && go build -o "$tmp/actr" ./cmd/actr)
go build -o "$tmp/attack" ./internal/attack

# wait_line FILE PREFIX PID: prints what follows PREFIX on the first line
# of FILE that starts with it, once the process PID has written it.
wait_line() {
	local file=$1 prefix=$2 pid=$3 i line
	for ((i = 0; i < 300; i++)); do
		line="$(grep -m1 "^$prefix" "$file" 2>/dev/null || true)"
		if [[ -n $line ]]; then
			echo "${line#"$prefix"}"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "process $pid exited before printing '$prefix'; its output:" >&2
			cat "$file" "$file.err" >&2 || true
			return 1
		fi
		sleep 0.1
	done
	echo "no '$prefix' line from process $pid within 30 s" >&2
	return 1
}

# stop_pid PID: stops one of the processes this script started, and
# forgets it (so that cleanup never signals a reused pid).
stop_pid() {
	local keep=() p
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	for p in "${pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	pids=("${keep[@]}")
}

# start_signal NAME [FLAGS…]: starts a signaling server on free ports; sets
# sig_pid, sig_url and sig_metrics.
start_signal() {
	local name=$1
	shift
	"$tmp/actr" signal --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --key "$tmp/$name.key" --log-level warn "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.out.err" &
	sig_pid=$!
	pids+=("$sig_pid")
	sig_url="$(wait_line "$tmp/$name.out" "signaling server on " "$sig_pid")"
	sig_url="${sig_url%% *}"
	sig_metrics="$(wait_line "$tmp/$name.out" "metrics " "$sig_pid")"
}

# start_targets: the signaling server and the echoing node the attacks
# are aimed at.
starts=0
start_targets() {
	starts=$((starts + 1))
	start_signal "signal$starts"
	main_pid=$sig_pid main_url=$sig_url main_metrics=$sig_metrics
	"$tmp/actr" node --signal "$main_url" --ws-listen 127.0.0.1:0 --loopback-only --metrics-listen 127.0.0.1:0 --log-level warn \
		>"$tmp/node$starts.out" 2>"$tmp/node$starts.out.err" &
	node_pid=$!
	pids+=("$node_pid")
	actor="$(wait_line "$tmp/node$starts.out" "actor " "$node_pid")"
	gate="$(wait_line "$tmp/node$starts.out" "gate " "$node_pid")"
	node_metrics="$(wait_line "$tmp/node$starts.out" "metrics " "$node_pid")"
	echo "targets: signal pid $main_pid at $main_url, node pid $node_pid $actor, gate $gate" >&2
}

start_targets
secret_started=false
rows="$tmp/rows"
: >"$rows"
read -r -a extra <<<"${ATTACK_ARGS:-}"
restart=false
for name in "${names[@]}"; do
	if ! kill -0 "$main_pid" 2>/dev/null || ! kill -0 "$node_pid" 2>/dev/null; then
		echo "$name: a target process is gone (an earlier attack took it down); starting both again" >&2
		restart=true
	fi
	if $restart || [[ -n ${ATTACK_FRESH:-} ]]; then
		# An attack whose leftovers outlived the settle bound (or that
		# took a target down) would skew the next one's baseline.
		stop_pid "$node_pid"
		stop_pid "$main_pid"
		start_targets
		restart=false
	fi
	args=(--attack "$name" --phase "$phase" --signal "$main_url" --signal-pid "$main_pid" --signal-metrics "$main_metrics"
		--target "$actor" --gate "$gate" --node-pid "$node_pid" --node-metrics "$node_metrics")
	if [[ $name == H12 ]]; then
		if ! $secret_started; then
			head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/secret"
			chmod 600 "$tmp/secret"
			start_signal secret --policy secret --secret-file "$tmp/secret"
			secret_pid=$sig_pid secret_url=$sig_url secret_metrics=$sig_metrics
			secret_started=true
		fi
		args=(--attack H12 --phase "$phase" --signal "$secret_url" --signal-pid "$secret_pid" --signal-metrics "$secret_metrics"
			--secret-file "$tmp/secret")
	fi
	echo "== $name" >&2
	# In the background, so that a signal to this script is handled at
	# once (the trap stops the attacker too).
	"$tmp/attack" "${args[@]}" "${extra[@]}" >"$tmp/$name.row" &
	attack_pid=$!
	pids+=("$attack_pid")
	if ! wait "$attack_pid"; then
		echo "$name: the attacker failed (see above)" >&2
	fi
	stop_pid "$attack_pid"
	if row="$(grep -m1 $'^row\t' "$tmp/$name.row")"; then
		echo "$row" >>"$rows"
		if [[ "$(cut -f17 <<<"$row")" == no && $name != H12 ]]; then
			echo "$name: the target had not settled; the next attack gets fresh processes" >&2
			restart=true
		fi
		# One line per attack as it ends.
		awk -F'\t' '{printf "%s (%s): legit p50 %s, p99 %s, answered/lost %s; target RSS MiB %s, fds %s, goroutines %s; refused/closed %s\n", $2, $4, $6, $7, $8, $10, $12, $13, $15}' <<<"$row"
	else
		echo "$name: no result row" >&2
		printf 'row\t%s\t(the attacker failed)\t–\t–\t–\t–\t–\t–\t–\t–\t–\t–\t–\t–\tthe attacker exited without a result: see its log\tno\n' "$name" >>"$rows"
		restart=true
	fi
done

echo
echo "Attacks against actr signal / actr node on 127.0.0.1, $phase phases; each cell before → during → after."
echo
echo "| # | attack | target (legit client over) | legit p50 | legit p99 | answered/lost | fresh client | RSS MiB | heap MiB | fds | goroutines | attack actions | refused/closed by target |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
awk -F'\t' '{printf "| %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15}' "$rows"
echo
awk -F'\t' '$16 != "" {printf "- **%s**: %s\n", $2, $16}' "$rows"
