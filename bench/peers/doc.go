// Command peers benchmarks actr against the peers a Go team compares it
// with, in one run: actr over WebSocket and over WebRTC, actr's calls
// (package rpc over WebSocket: a round trip is a Call, a one-way message a
// Tell), grpc-go as a unary call and as a bidi stream (both with a
// raw-bytes codec; the unary peer's one-way senders use the bidi Sink
// stream too, unary calls having no one-way form), NATS (an embedded
// nats-server and nats.go) and, as floors, bare coder/websocket and bare
// TCP with length-prefixed frames.
//
// Every peer's server runs in a child process (this binary re-executed
// with ACTR_PEERS_SERVER set), driven over its stdin and stdout by a line
// protocol (reset, wait N, mem); the clients run in the parent. Peers
// take turns in rounds (the order rotates each round) and the figures are
// medians over the rounds:
//
//   - round trip p50 and p99 at 64 B and 1 KiB, one message in flight;
//   - one-way throughput at 64 B, 1 KiB and 64 KiB with 1 and 16 senders
//     on one connection; the clock stops when the receiver has counted
//     every message sent (it reports its count back);
//   - first message from nothing: connect and the first round trip (for
//     actr the node's registration with signaling is timed separately);
//   - idle memory per connection: the heap and stack the server process
//     holds per idle connection, and its goroutines.
//
// Usage: go run . [-rounds 3] [-quick] [-peers actr-ws,grpc,...]
// (scripts/bench-peers.sh from the repository root). It prints a markdown
// table with ratios, then the raw figures of every round.
//
// This is a module of its own so that the library's module depends on
// neither grpc nor NATS.
package main
