package rpc

import (
	"testing"

	"github.com/actr-go/actr/protocol"
)

// The table forgets the stream idle longest for a peer's new stream, and
// the peer idle longest for a new peer: it stays bounded, and a
// forgotten stream starts afresh.
func TestStreamTableBudgets(t *testing.T) {
	var tb streamTable
	tb.init(1)
	a := protocol.ActorID{Realm: 1, Serial: 1, Name: "a"}
	lane := protocol.StreamLatencyFirst
	if m, ok := tb.advance(a, lane, "x", 5); !ok || m != 5 {
		t.Fatalf("first chunk: missed %d ok %v", m, ok)
	}
	if _, ok := tb.advance(a, lane, "x", 4); ok {
		t.Fatal("an older chunk was delivered")
	}
	tb.advance(a, lane, "y", 0) // x forgotten
	if m, ok := tb.advance(a, lane, "x", 3); !ok || m != 3 {
		t.Fatalf("a forgotten stream: missed %d ok %v", m, ok)
	}
	for i := range maxStreamPeers + 10 {
		tb.advance(protocol.ActorID{Realm: 1, Serial: uint64(100 + i), Name: "p"}, lane, "s", 0)
	}
	if len(tb.peers) != maxStreamPeers {
		t.Fatalf("%d peers tracked, want at most %d", len(tb.peers), maxStreamPeers)
	}
	if _, kept := tb.peers[a]; kept {
		t.Fatal("the peer idle longest was kept")
	}
}
