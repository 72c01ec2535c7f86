package websocket_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// With lent payloads, large messages arrive whole and each with its own
// bytes, though their buffers are reused: the handler checks every byte
// while it holds the loan, and the wire gives each buffer back after.
func TestLentPayloadsArriveIntactAndAreRecycled(t *testing.T) {
	ctx := guard(t)
	const n, size = 300, 40 << 10
	got := make(chan int, n)
	bad := make(chan string, n)
	w := newWorld(t)
	w.node(t, idB, nodeOpts{mgrOpts: []transport.Option{transport.WithLentPayloads()},
		handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) {
			if m.Recycle == nil {
				bad <- "a large payload not lent"
			}
			seq := int(binary.BigEndian.Uint32(m.Data))
			if !bytes.Equal(m.Data, payloadFor(seq, size)) {
				bad <- "payload corrupted"
			}
			got <- seq
		})})
	a := w.node(t, idA, nodeOpts{noListen: true}).mgr
	for i := range n {
		if err := a.Send(ctx, transport.Actor(idB), protocol.StreamReliable, payloadFor(i, size)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		select {
		case seq := <-got:
			if seq != i {
				t.Fatalf("message %d arrived as %d", seq, i)
			}
		case msg := <-bad:
			t.Fatal(msg)
		case <-ctx.Done():
			t.Fatalf("%d of %d arrived", i, n)
		}
	}
}

// payloadFor is message seq's bytes: its number, then a pattern of it.
func payloadFor(seq, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b, uint32(seq))
	for i := 4; i < size; i++ {
		b[i] = byte(seq*7 + i)
	}
	return b
}
