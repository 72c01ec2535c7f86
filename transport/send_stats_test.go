package transport_test

import (
	"context"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// With WithSendStats the manager counts what it hands to each lane, by
// payload type and wire kind, and keeps the counts of removed
// transports; failed Sends are counted by payload type either way.
func TestSendStats(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b, transport.WithSendStats())
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	waitReadyWires(t, ctx, tr, 2)
	send := func(pt protocol.PayloadType, n, size int) {
		t.Helper()
		for range n {
			if err := m.Send(ctx, dest, pt, make([]byte, size)); err != nil {
				t.Fatal(err)
			}
		}
	}
	send(protocol.RPCReliable, 3, 10)
	send(protocol.StreamReliable, 2, 100)
	if b.Drop(dest, transport.WireWebRTC) != 1 {
		t.Fatal("no webrtc wire to drop")
	}
	send(protocol.RPCReliable, 4, 1) // over WebSocket now
	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := m.Send(cctx, actor(2), protocol.RPCSignal, nil); err == nil {
		t.Fatal("Send with a cancelled ctx to a new dest succeeded")
	}

	st := m.Stats()
	want := map[[2]int][2]uint64{
		{int(protocol.RPCReliable), int(transport.WireWebRTC)}:    {3, 30},
		{int(protocol.StreamReliable), int(transport.WireWebRTC)}: {2, 200},
		{int(protocol.RPCReliable), int(transport.WireWebSocket)}: {4, 4},
	}
	if len(st.Sent) != len(want) {
		t.Fatalf("Sent %+v, want %v", st.Sent, want)
	}
	for _, lc := range st.Sent {
		if w := want[[2]int{int(lc.PayloadType), int(lc.Wire)}]; lc.Messages != w[0] || lc.Bytes != w[1] {
			t.Fatalf("%s over %s: %d messages, %d bytes; want %v", lc.PayloadType, lc.Wire, lc.Messages, lc.Bytes, w)
		}
	}
	if st.SendErrors[protocol.RPCSignal] != 1 || st.SendErrors[protocol.RPCReliable] != 0 {
		t.Fatalf("SendErrors %v, want one RPC_SIGNAL", st.SendErrors)
	}
}

// Without WithSendStats nothing is counted per lane (the hot path stays
// free of shared counters).
func TestSendStatsOffByDefault(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	if err := m.Send(ctx, actor(1), protocol.RPCReliable, []byte("x")); err != nil {
		t.Fatal(err)
	}
	if st := m.Stats(); len(st.Sent) != 0 {
		t.Fatalf("Sent %+v without WithSendStats", st.Sent)
	}
}
