package transport_test

// The lock-free index of live transports (the fast path of Send and
// GetOrCreateTransport) must agree with the manager's entries after every
// writer's critical section: it never returns a closing or removed
// transport. Each writer path is driven here, deterministically, and the
// index is checked against the entries (CheckLive) after each.

import (
	"errors"
	"sync"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

func checkLive(t *testing.T, m *transport.OutprocManager, after string) {
	t.Helper()
	if err := m.CheckLive(); err != nil {
		t.Fatalf("after %s: %v", after, err)
	}
}

func TestLiveIndexFollowsEveryWriter(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric(transport.WireWebSocket) // one wire per dest: dropping it reaps the transport
	var m *transport.OutprocManager
	reaped := make(chan *transport.DestTransport, 1)
	closings := 0
	m = newManager(t, b, transport.WithHooks(transport.Hooks{
		AfterReap: func(tr *transport.DestTransport, removed bool) {
			if removed {
				reaped <- tr
			}
		},
		// Runs after CloseTransport has marked the dest closing and left
		// its critical section, before the transport is closed.
		Closing: func(tr *transport.DestTransport) {
			closings++
			if err := m.CheckLive(); err != nil {
				t.Errorf("while closing %v: %v", tr.Dest(), err)
			}
			if got, err := m.GetOrCreateTransport(ctx, tr.Dest()); !errors.Is(err, transport.ErrClosing) {
				t.Errorf("GetOrCreateTransport while closing %v: %p, %v; want ErrClosing", tr.Dest(), got, err)
			}
		},
	}))
	dest := actor(1)

	// Dial commit: the new transport is on the fast path.
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	checkLive(t, m, "dial commit")
	t1, ok := m.Transport(dest)
	if got, err := m.GetOrCreateTransport(ctx, dest); err != nil || !ok || got != t1 {
		t.Fatalf("GetOrCreateTransport = %p, %v; want the committed %p", got, err, t1)
	}

	// Reap: once the dead transport is removed, the fast path must not
	// return it; the next caller dials afresh.
	b.Drop(dest, transport.WireWebSocket)
	if got := <-reaped; got != t1 {
		t.Fatalf("reaped %p, want %p", got, t1)
	}
	checkLive(t, m, "reap")
	t2, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil || t2 == t1 {
		t.Fatalf("GetOrCreateTransport after reap = %p, %v; want a new transport, not %p", t2, err, t1)
	}
	if n := b.BuildsFor(dest); n != 2 {
		t.Fatalf("builds for dest = %d, want 2", n)
	}
	checkLive(t, m, "redial")

	// CloseTransport: checked inside the Closing hook and after it returns.
	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if closings != 1 {
		t.Fatalf("Closing hook ran %d times, want 1", closings)
	}
	checkLive(t, m, "CloseTransport")

	// Dial failure.
	b.FailBuilds(1, nil)
	if err := m.Send(ctx, actor(2), protocol.RPCReliable, nil); !errors.Is(err, transport.ErrConnectFailed) {
		t.Fatalf("Send with a failing build: %v", err)
	}
	checkLive(t, m, "dial failure")

	// CloseTransport while dialling, and the cancelled dial returning
	// wires anyway (DESIGN F3): nothing is installed.
	release := b.HoldBuildsIgnoringCancel()
	sent := make(chan error, 1)
	go func() { sent <- m.Send(ctx, actor(3), protocol.RPCReliable, nil) }()
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.CloseTransport(ctx, actor(3)); err != nil {
		t.Fatal(err)
	}
	checkLive(t, m, "CloseTransport of a dial in flight")
	if err := <-sent; !errors.Is(err, transport.ErrClosing) {
		t.Fatalf("Send whose dial was closed: %v", err)
	}
	release()
	<-waitBuiltWires(t, b, actor(3), 1)[0].Done() // the abandoned dial closed what it built
	checkLive(t, m, "an abandoned dial's late return")

	// CloseAll.
	for _, d := range []transport.Dest{actor(4), actor(5)} {
		if err := m.Send(ctx, d, protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
	}
	checkLive(t, m, "two dials")
	if err := m.CloseAll(ctx); err != nil {
		t.Fatal(err)
	}
	checkLive(t, m, "CloseAll")
	if m.DestCount() != 0 {
		t.Fatalf("DestCount after CloseAll = %d", m.DestCount())
	}

	// Close: a transport connected before it is not served afterwards.
	if err := m.Send(ctx, actor(6), protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	checkLive(t, m, "Close")
	if got, err := m.GetOrCreateTransport(ctx, actor(6)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("GetOrCreateTransport after Close = %p, %v; want ErrClosed", got, err)
	}
}

// A transport that Adopt creates (the peer dialled us first) is on the
// fast path: sending back to the peer dials nothing.
func TestLiveIndexHasAdoptedTransport(t *testing.T) {
	ctx := guard(t)
	mA, mB, _, bB := pair(t, nil, nil)
	if err := mA.Send(ctx, transport.Actor(peerB), protocol.RPCReliable, nil); !errors.Is(err, transport.ErrNoHandler) {
		t.Fatalf("Send to a node without handler: %v", err)
	}
	checkLive(t, mB, "Adopt")
	tr, ok := mB.Transport(transport.Actor(peerA))
	if !ok {
		t.Fatal("B has no transport to A after adopting A's wire")
	}
	if got, err := mB.GetOrCreateTransport(ctx, transport.Actor(peerA)); err != nil || got != tr {
		t.Fatalf("GetOrCreateTransport = %p, %v; want the adopted %p", got, err, tr)
	}
	if n := bB.Builds(); n != 0 {
		t.Fatalf("B dialled %d times, want 0", n)
	}
}

// Senders on the fast path race closes and redials of the same dests. Run
// with -race: the index must stay consistent with the entries, and a Send
// fails only because its dest was being closed.
func TestLiveIndexUnderConcurrentChurn(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	dests := []transport.Dest{actor(1), actor(2), actor(3)}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				err := m.Send(ctx, dests[(i+n)%len(dests)], protocol.RPCReliable, nil)
				if err != nil && !errors.Is(err, transport.ErrClosing) && !errors.Is(err, transport.ErrClosed) {
					t.Errorf("Send: %v", err)
					return
				}
			}
		})
	}
	for n := range 200 {
		d := dests[n%len(dests)]
		if err := m.CloseTransport(ctx, d); err != nil {
			t.Fatal(err)
		}
		checkLive(t, m, "CloseTransport")
		if err := m.Send(ctx, d, protocol.RPCReliable, nil); err != nil && !errors.Is(err, transport.ErrClosing) {
			t.Fatal(err)
		}
		checkLive(t, m, "redial")
	}
	close(stop)
	wg.Wait()
}

// A transport enters the lock-free index only with a route: a Send that
// finds it there (without the manager's lock) must wait for or take a
// lane, never fail with ErrNoRoute because its wire is not a member yet.
// The transport Adopt creates when the peer dialled first once entered
// the index a moment before its wire joined the pool, and a reply sent
// in that moment failed at once (seen in the NAT tests as "no wire of the
// destination can carry it").
func TestLiveIndexNeverHoldsATransportWithoutRoute(t *testing.T) {
	ctx := guard(t)
	var mu sync.Mutex
	var puts int
	var unrouted []string
	hook := transport.WithHooks(transport.Hooks{LivePut: func(tr *transport.DestTransport) {
		mu.Lock()
		defer mu.Unlock()
		puts++
		if !tr.Routed(protocol.RPCReliable) {
			unrouted = append(unrouted, tr.Dest().String())
		}
	}})
	mA, mB, _, _ := pair(t, nil, nil, hook)
	// A dials B (A's transport from a dial); B adopts A's wire (B's from
	// Adopt, the peer first).
	if err := mA.Send(ctx, transport.Actor(peerB), protocol.RPCReliable, nil); !errors.Is(err, transport.ErrNoHandler) {
		t.Fatalf("Send to a node without handler: %v", err)
	}
	if _, ok := mB.Transport(transport.Actor(peerA)); !ok {
		t.Fatal("B has no transport to A after adopting A's wire")
	}
	mu.Lock()
	defer mu.Unlock()
	if puts < 2 {
		t.Fatalf("%d transports entered the index, want A's and B's", puts)
	}
	if len(unrouted) > 0 {
		t.Fatalf("transports to %v entered the index with no route for %s", unrouted, protocol.RPCReliable)
	}
}
