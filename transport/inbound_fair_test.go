package transport_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// inboxManager is a manager whose inbound side the test drives directly
// through Inbound().Deliver, as a wire would.
func inboxManager(t *testing.T, h transport.Handler, opts ...transport.Option) (*transport.OutprocManager, transport.Inbound) {
	t.Helper()
	m, err := transport.NewOutprocManager(localID, transporttest.NewBuilder(transporttest.NewNetwork(), localID),
		append([]transport.Option{transport.WithHandler(h)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m, m.Inbound()
}

func msgFrom(peer protocol.ActorID, pt protocol.PayloadType, s string) transport.Message {
	return transport.Message{From: peer, Type: pt, Data: []byte(s)}
}

// servedLog records the order in which the handler served messages.
type servedLog struct {
	mu  sync.Mutex
	got []string
}

func (l *servedLog) add(m transport.Message) {
	l.mu.Lock()
	l.got = append(l.got, fmt.Sprintf("%d:%s", m.From.Serial, m.Data))
	l.mu.Unlock()
}

func (l *servedLog) list() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.got...)
}

// H1 at the transport layer: a handler call that blocks for one peer (as
// an echo to a peer that stopped reading does) holds up only that peer's
// queue; another peer's messages of the same payload type are served.
func TestHostileH1BlockedHandlerHoldsUpOnlyItsPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stalled := make(chan struct{})
		var log servedLog
		h := transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
			if m.From == peerA {
				select {
				case <-stalled:
				case <-ctx.Done():
				}
			}
			log.add(m)
		})
		m, in := inboxManager(t, h)
		defer func() { close(stalled); _ = m.Close() }()
		ctx := context.Background()
		for i := range 3 {
			if err := in.Deliver(ctx, msgFrom(peerA, protocol.RPCReliable, fmt.Sprint("a", i))); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait() // the attacker's first message is in the handler, blocked
		for i := range 50 {
			if err := in.Deliver(ctx, msgFrom(peerB, protocol.RPCReliable, fmt.Sprint("b", i))); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		got := log.list()
		if len(got) != 50 {
			t.Fatalf("served %d of peer B's 50 messages while peer A's handler call was blocked: %v", len(got), got)
		}
		for i, s := range got {
			if want := fmt.Sprintf("%d:b%d", peerB.Serial, i); s != want {
				t.Fatalf("message %d served was %s, want %s (arrival order per peer)", i, s, want)
			}
		}
	})
}

// H11 at the transport layer: with one worker, a peer that has filled its
// queue gets one turn, then a peer with one message gets the next.
func TestHostileH11FloodingPeerTakesTurns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := make(chan struct{})
		release := make(chan struct{})
		var log servedLog
		var once sync.Once
		h := transport.HandlerFunc(func(_ context.Context, m transport.Message) {
			once.Do(func() { close(first); <-release })
			log.add(m)
		})
		m, in := inboxManager(t, h, transport.WithInboundLimits(transport.InboundLimits{Workers: 1, QueueDepth: 64}))
		defer func() { _ = m.Close() }()
		ctx := context.Background()
		for i := range 65 { // one in the handler, 64 queued
			if err := in.Deliver(ctx, msgFrom(peerA, protocol.RPCReliable, fmt.Sprint("a", i))); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				<-first
			}
		}
		for i := range 2 {
			if err := in.Deliver(ctx, msgFrom(peerB, protocol.RPCReliable, fmt.Sprint("b", i))); err != nil {
				t.Fatal(err)
			}
		}
		close(release)
		synctest.Wait()
		got := log.list()
		if len(got) != 67 {
			t.Fatalf("served %d of 67", len(got))
		}
		// Turns alternate while both have messages: a0 (already in), a1, b0, a2, b1, a3, ...
		posB := []int{}
		for i, s := range got {
			if s[:len(fmt.Sprint(peerB.Serial))+1] == fmt.Sprint(peerB.Serial, ":") {
				posB = append(posB, i)
			}
		}
		if len(posB) != 2 || posB[0] > 2 || posB[1] > 4 {
			t.Fatalf("peer B's two messages served at positions %v of %d; a flooding peer must not hold the worker (order %v)", posB, len(got), got[:6])
		}
		if st := m.Stats().Inbound; st.Peers != 0 || st.BytesHeld != 0 || st.Delivered != 67 {
			t.Fatalf("after draining: %+v, want no peers, no bytes held, 67 delivered", st)
		}
	})
}

// Byte budgets: a peer over its budget waits (or, on the lossy type, is
// dropped), and only that peer; the manager's total budget bounds all
// peers together; a message larger than a budget passes when nothing is
// held.
func TestInboundByteBudgetsPerPeerAndTotal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := transport.HandlerFunc(func(ctx context.Context, _ transport.Message) {
			select {
			case <-release:
			case <-ctx.Done():
			}
		})
		m, in := inboxManager(t, h, transport.WithInboundLimits(transport.InboundLimits{PeerBytes: 4 << 10, TotalBytes: 8 << 10}))
		defer func() { _ = m.Close() }()
		ctx := context.Background()
		kib := string(make([]byte, 1<<10))
		done, cancel := context.WithCancel(ctx)
		cancel()

		// One message in the handler (not held), four queued: peer A is full.
		for range 5 {
			if err := in.Deliver(ctx, msgFrom(peerA, protocol.RPCReliable, kib)); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		if err := in.Deliver(done, msgFrom(peerA, protocol.StreamReliable, kib)); !errors.Is(err, context.Canceled) {
			t.Fatalf("a peer over its byte budget: %v, want to wait (context.Canceled here)", err)
		}
		if err := in.Deliver(ctx, msgFrom(peerA, protocol.StreamLatencyFirst, kib)); !errors.Is(err, transport.ErrInboundFull) {
			t.Fatalf("lossy message over the peer's budget: %v, want ErrInboundFull", err)
		}
		// Peer B still has room (one in the handler, four queued); then the
		// total (8 KiB) is reached.
		for range 5 {
			if err := in.Deliver(done, msgFrom(peerB, protocol.StreamReliable, kib)); err != nil {
				t.Fatalf("peer B refused while peer A was over its own budget: %v", err)
			}
			synctest.Wait()
		}
		synctest.Wait()
		third := protocol.ActorID{Realm: 7, Serial: 3, Manufacturer: "acme", Name: "carol"}
		if err := in.Deliver(done, msgFrom(third, protocol.RPCSignal, kib)); !errors.Is(err, context.Canceled) {
			t.Fatalf("a new peer past the total budget: %v, want to wait", err)
		}
		// A waiting Deliver goes through when room is made.
		waited := make(chan error, 1)
		go func() { waited <- in.Deliver(ctx, msgFrom(third, protocol.RPCSignal, kib)) }()
		synctest.Wait()
		select {
		case err := <-waited:
			t.Fatalf("Deliver past the total budget returned %v before room was made", err)
		default:
		}
		release <- struct{}{} // one of A's calls ends: its next message leaves the queue
		if err := <-waited; err != nil {
			t.Fatalf("Deliver after room was made: %v", err)
		}
		synctest.Wait() // the third peer's message is in its handler call
		st := m.Stats().Inbound
		if st.Throttled != 3 || st.Dropped != 1 || st.BytesHeld != 7<<10 {
			t.Fatalf("stats %+v, want 3 throttled, 1 dropped, 7 KiB held", st)
		}
		close(release)
		synctest.Wait()
		if st := m.Stats().Inbound; st.BytesHeld != 0 || st.Peers != 0 {
			t.Fatalf("after draining: %+v, want nothing held", st)
		}
		// Larger than every budget, with nothing held: it passes.
		if err := in.Deliver(done, msgFrom(peerA, protocol.RPCReliable, string(make([]byte, 64<<10)))); err != nil {
			t.Fatalf("a message larger than the budgets, nothing held: %v", err)
		}
	})
}

// Closing the manager wakes a Deliver waiting for room and discards what
// is queued, counted.
func TestInboundCloseWakesWaitingDeliver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := transport.HandlerFunc(func(ctx context.Context, _ transport.Message) { <-ctx.Done() })
		m, in := inboxManager(t, h, transport.WithInboundQueueDepth(1))
		ctx := context.Background()
		for range 2 {
			if err := in.Deliver(ctx, msgFrom(peerA, protocol.RPCReliable, "x")); err != nil {
				t.Fatal(err)
			}
			synctest.Wait()
		}
		waited := make(chan error, 1)
		go func() { waited <- in.Deliver(ctx, msgFrom(peerA, protocol.RPCReliable, "y")) }()
		synctest.Wait()
		_ = m.Close()
		if err := <-waited; !errors.Is(err, transport.ErrClosed) {
			t.Fatalf("waiting Deliver after Close: %v, want ErrClosed", err)
		}
		if st := m.Stats().Inbound; st.Rejected != 2 || st.Delivered != 1 {
			t.Fatalf("stats %+v, want 1 delivered, 2 rejected (1 queued, 1 waiting)", st)
		}
	})
}
