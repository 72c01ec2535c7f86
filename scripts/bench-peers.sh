#!/usr/bin/env bash
# Runs the peer benchmark (bench/peers, a module of its own): actr over
# WebSocket and WebRTC against grpc-go, NATS, bare coder/websocket and
# bare TCP, each peer's server in a child process, peers interleaved in
# rounds, and prints the markdown table (ratios to actr-ws) and the raw
# figures of every round. Progress goes to stderr.
# Usage: scripts/bench-peers.sh [rounds] [flags...]
#   rounds: default 3 (about a minute each); flags are passed
#   on, e.g. -quick (a run of a few seconds), -peers actr-ws,grpc,
#   -rt 2s -tp 2s, -idle 500. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../bench/peers"
rounds="${1:-3}"
shift || true
bin=$(mktemp -d)/peers
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" .
"$bin" -rounds "$rounds" "$@"
