package rpc_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/transport"
)

// Chunks of a STREAM_RELIABLE stream arrive in order, numbered from 0,
// with nothing missed.
func TestStreamReliableInOrder(t *testing.T) {
	ctx := guard(t)
	a, b, _, _ := pair(t, rpc.Config{}, rpc.Config{})
	got := make(chan rpc.Chunk, 100)
	b.HandleStreams(func(_ context.Context, c rpc.Chunk) { got <- c })
	w, err := a.NewStream(bob, protocol.StreamReliable, "s1")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		if err := w.Send(ctx, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		c := <-got
		if c.Sequence != uint64(i) || c.Missed != 0 || c.Payload[0] != byte(i) || c.StreamID != "s1" || c.From != alice || c.Lane != protocol.StreamReliable {
			t.Fatalf("chunk %d: %+v", i, c)
		}
	}
	if _, err := a.NewStream(bob, protocol.RPCReliable, "s"); !errors.Is(err, rpc.ErrNotStreamLane) {
		t.Fatalf("NewStream on an RPC lane: %v", err)
	}
}

func chunk(id string, seq uint64) []byte {
	b, _ := proto.Marshal(&protocol.DataChunk{StreamId: &id, Sequence: &seq, Payload: []byte{byte(seq)}})
	return b
}

// On STREAM_LATENCY_FIRST, chunks lost are reported as gaps and chunks
// overtaken are dropped: the handler sees each stream in order.
func TestStreamLatencyFirstGaps(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	b := f.endpoint(t, bob, rpc.Config{MaxStreamsPerPeer: 2})
	var got []rpc.Chunk
	b.HandleStreams(func(_ context.Context, c rpc.Chunk) { got = append(got, c) })
	for _, m := range []struct {
		id  string
		seq uint64
	}{{"s", 0}, {"s", 2}, {"s", 1}, {"s", 5}, {"t", 0}, {"s", 5}} {
		b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.StreamLatencyFirst, Data: chunk(m.id, m.seq)})
	}
	b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.StreamLatencyFirst, Data: []byte("not a chunk")})
	want := []struct{ seq, missed uint64 }{{0, 0}, {2, 1}, {5, 2}, {0, 0}}
	if len(got) != len(want) {
		t.Fatalf("got %d chunks: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].Sequence != w.seq || got[i].Missed != w.missed {
			t.Fatalf("chunk %d: %+v, want seq %d missed %d", i, got[i], w.seq, w.missed)
		}
	}
	if st := b.Stats(); st.StreamLate != 2 || st.StreamMissed != 3 || st.Undecodable != 1 {
		t.Fatalf("stats %+v", st)
	}
}
