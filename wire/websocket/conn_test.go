package websocket_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// echoTo returns a handler that sends every message back to its sender.
func echoTo(mgr **transport.OutprocManager, t *testing.T) transport.Handler {
	return transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if err := (*mgr).Send(ctx, transport.Actor(m.From), m.Type, m.Data); err != nil && ctx.Err() == nil {
			t.Errorf("echo to %s: %v", m.From, err)
		}
	})
}

// A dials B; B has no endpoint for A, so its replies can only travel on
// the connection A opened.
func TestEveryPayloadTypeBothWaysRepliesOverAdoptedConnection(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	var mB *transport.OutprocManager
	b := w.node(t, idB, nodeOpts{handler: echoTo(&mB, t)})
	mB = b.mgr
	a := w.node(t, idA, nodeOpts{noListen: true})
	for _, pt := range protocol.DataPayloadTypes() {
		if err := a.mgr.Send(ctx, transport.Actor(idB), pt, []byte("hello "+pt.String())); err != nil {
			t.Fatalf("Send %s: %v", pt, err)
		}
	}
	got := a.in.wait(t, ctx, len(protocol.DataPayloadTypes()))
	seen := map[protocol.PayloadType]bool{}
	for _, m := range got {
		if m.From != idB || string(m.Data) != "hello "+m.Type.String() || m.Wire != transport.WireWebSocket {
			t.Fatalf("echo %+v", m)
		}
		seen[m.Type] = true
	}
	if len(seen) != len(protocol.DataPayloadTypes()) {
		t.Fatalf("echoes of %v", seen)
	}
	if n := b.dialer.Counters().Dials.Load(); n != 0 {
		t.Fatalf("B dialled %d times; its replies should reuse A's connection", n)
	}
	if n := b.gate.Counters().Accepted.Load(); n != 1 {
		t.Fatalf("B's gate accepted %d connections, want 1", n)
	}
}

func TestTenThousandReliableMessagesArriveCompleteAndInOrder(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	a := w.node(t, idA, nodeOpts{noListen: true})
	const n = 10000
	for i := range n {
		if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, binary.BigEndian.AppendUint32(nil, uint32(i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	got := b.in.wait(t, ctx, n)
	for i, m := range got {
		if v := binary.BigEndian.Uint32(m.Data); int(v) != i {
			t.Fatalf("message %d carries %d: out of order or lost", i, v)
		}
	}
}

func TestSendRefusesOversizeWithTypedError(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	w.node(t, idB, nodeOpts{})
	a := w.node(t, idA, nodeOpts{noListen: true, dialOpts: websocket.Options{MaxMessageSize: 1024}})
	err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, make([]byte, 1025))
	var tl *transport.MessageTooLargeError
	if !errors.Is(err, transport.ErrMessageTooLarge) || !errors.As(err, &tl) || tl.Max != 1024 {
		t.Fatalf("err = %v, want a MessageTooLargeError with max 1024", err)
	}
	if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, make([]byte, 1024)); err != nil {
		t.Fatalf("a message of exactly the maximum: %v", err)
	}
}

// Large payloads take the no-copy path (a header frame and a payload
// frame of one message); both paths must arrive intact.
func TestLargeAndSmallPayloadsArriveIntact(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	a := w.node(t, idA, nodeOpts{noListen: true})
	sizes := []int{0, 1, 4 << 10, 4<<10 + 1, 1 << 20}
	for _, n := range sizes {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(i * 7)
		}
		if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.StreamReliable, p); err != nil {
			t.Fatalf("Send %d bytes: %v", n, err)
		}
	}
	for i, m := range b.in.wait(t, ctx, len(sizes)) {
		if len(m.Data) != sizes[i] {
			t.Fatalf("message %d has %d bytes, want %d", i, len(m.Data), sizes[i])
		}
		for j, c := range m.Data {
			if c != byte(j*7) {
				t.Fatalf("message %d corrupt at byte %d", i, j)
			}
		}
	}
}

// Four senders, each on its own connection, sending at once, of sizes up
// to the largest small frame: each must have every message arrive whole
// and in order, never one assembled from another's bytes.
func TestConcurrentConnectionsDeliverEveryMessageIntact(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	const senders, n = 4, 300
	nodes := make([]*testNode, senders)
	for s := range nodes {
		nodes[s] = w.node(t, protocol.ActorID{Realm: 1, Serial: uint64(50 + s), Manufacturer: "acme", Name: "sender"}, nodeOpts{noListen: true})
	}
	// payload: the sender, the sequence number, then a fill of the
	// sender's byte, to a length that varies up to the largest small frame.
	payload := func(s, i int) []byte {
		p := binary.BigEndian.AppendUint32([]byte{byte(s)}, uint32(i))
		for len(p) < 5+(i*97+s*31)%(4<<10-4) {
			p = append(p, byte(s)^0x5a)
		}
		return p
	}
	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s, nd := range nodes {
		wg.Go(func() {
			for i := range n {
				if err := nd.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, payload(s, i)); err != nil {
					errs <- fmt.Errorf("sender %d, Send %d: %w", s, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	next := make([]int, senders)
	for _, m := range b.in.wait(t, ctx, senders*n) {
		if len(m.Data) < 5 || int(m.Data[0]) >= senders {
			t.Fatalf("a message of %d bytes from no sender", len(m.Data))
		}
		s := int(m.Data[0])
		i := int(binary.BigEndian.Uint32(m.Data[1:5]))
		if i != next[s] || !bytes.Equal(m.Data, payload(s, i)) {
			t.Fatalf("sender %d: got message %d (%d bytes), want message %d intact", s, i, len(m.Data), next[s])
		}
		next[s]++
	}
}

// Both peers send to each other at the same moment, many times over: each
// time exactly one connection per pair survives, the one dialled by the
// peer whose ActorID orders first, and every message arrives.
func TestSimultaneousDialsLeaveOneConnection(t *testing.T) {
	for round := range 10 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ctx := guard(t)
			w := newWorld(t)
			a := w.node(t, idA, nodeOpts{})
			b := w.node(t, idB, nodeOpts{})
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, pair := range [][2]*testNode{{a, b}, {b, a}} {
				wg.Go(func() {
					<-start
					if err := pair[0].mgr.Send(ctx, transport.Actor(pair[1].id), protocol.RPCReliable, []byte("hi from "+pair[0].id.String())); err != nil {
						t.Errorf("%s → %s: %v", pair[0].id, pair[1].id, err)
					}
				})
			}
			close(start)
			wg.Wait()
			a.in.wait(t, ctx, 1)
			b.in.wait(t, ctx, 1)
			ta, _ := a.mgr.Transport(transport.Actor(idB))
			tb, _ := b.mgr.Transport(transport.Actor(idA))
			// The duplicate is closed by the side that keeps the other
			// connection, and its dialler learns of that a moment later:
			// wait for both ends to settle on one, within the test's
			// deadline.
			wa, wb := oneLiveWireEach(t, ctx, ta, tb)
			if wa[0].Adopted == wb[0].Adopted {
				t.Fatalf("A adopted=%v, B adopted=%v: the two ends are different connections", wa[0].Adopted, wb[0].Adopted)
			}
			accepted := a.gate.Counters().Accepted.Load() + b.gate.Counters().Accepted.Load()
			// A refuses B's dial while its own is in flight, as often as B
			// retries before A's connection reaches it (more than once on
			// a loaded machine); B, ordering second, never refuses.
			if accepted != 1 || b.gate.Counters().RejectedDuplicate.Load() != 0 {
				t.Fatalf("accepted %d, refused A %d B %d: want one accepted, refusals only by A (the smaller id)",
					accepted, a.gate.Counters().RejectedDuplicate.Load(), b.gate.Counters().RejectedDuplicate.Load())
			}
		})
	}
}

// liveWires waits until the pool has no connecting wire, then returns its
// ready ones.
// oneLiveWireEach waits until ta and tb have one ready wire each and
// none connecting, and returns them; it fails the test with what they
// have when ctx ends first.
func oneLiveWireEach(t *testing.T, ctx context.Context, ta, tb *transport.DestTransport) (wa, wb []transport.WireInfo) {
	t.Helper()
	for {
		_, changedA := ta.Pool().Watch()
		_, changedB := tb.Pool().Watch()
		wa, wb = liveWires(t, ctx, ta), liveWires(t, ctx, tb)
		if len(wa) == 1 && len(wb) == 1 {
			return wa, wb
		}
		select {
		case <-changedA:
		case <-changedB:
		case <-ctx.Done():
			t.Fatalf("live wires: A %+v, B %+v; want one each", wa, wb)
		}
	}
}

func liveWires(t *testing.T, ctx context.Context, tr *transport.DestTransport) []transport.WireInfo {
	t.Helper()
	for {
		_, changed := tr.Pool().Watch()
		var ready []transport.WireInfo
		connecting := false
		for _, wi := range tr.Pool().Wires() {
			switch wi.State {
			case transport.WireReady:
				ready = append(ready, wi)
			case transport.WireConnecting:
				connecting = true
			}
		}
		if !connecting {
			return ready
		}
		select {
		case <-changed:
		case <-ctx.Done():
			t.Fatalf("wires still connecting: %+v", tr.Pool().Wires())
		}
	}
}
