package transport_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

func TestSendStormOneDestDialsOnce(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric()
	m := newManager(t, b)
	dest := actor(1)
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- m.Send(ctx, dest, protocol.RPCReliable, fmt.Appendf(nil, "msg-%d", i))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	if got := b.Builds(); got != 1 {
		t.Fatalf("builder ran %d times, want exactly 1", got)
	}
	msgs, err := net.Node(actorID(1)).WaitMessages(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		seen[string(m.Data)] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct messages arrived, want %d", len(seen), n)
	}
}

func TestSendStormManyDestsDialsOncePerDest(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric()
	m := newManager(t, b)
	const goroutines, dests = 1000, 100
	var wg sync.WaitGroup
	var failed sync.Once
	for g := range goroutines {
		wg.Go(func() {
			for i := range dests {
				d := (g + i) % dests // every goroutine races for every dest, in a different order
				if err := m.Send(ctx, actor(d), protocol.RPCReliable, []byte{byte(d)}); err != nil {
					failed.Do(func() { t.Errorf("Send to %d: %v", d, err) })
				}
			}
		})
	}
	wg.Wait()
	if got := b.Builds(); got != dests {
		t.Fatalf("builder ran %d times, want exactly %d", got, dests)
	}
	for d := range dests {
		if got := b.BuildsFor(actor(d)); got != 1 {
			t.Fatalf("dest %d built %d times", d, got)
		}
		if _, err := net.Node(actorID(d)).WaitMessages(ctx, goroutines); err != nil {
			t.Fatalf("dest %d: %v", d, err)
		}
	}
	if got := m.DestCount(); got != dests {
		t.Fatalf("DestCount = %d, want %d", got, dests)
	}
}

func TestFirstCallerCancelDoesNotCancelDial(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric()
	m := newManager(t, b)
	release := b.HoldBuilds()
	defer release()
	dest := actor(1)

	firstCtx, cancelFirst := context.WithCancel(ctx)
	firstErr := make(chan error, 1)
	go func() { firstErr <- m.Send(firstCtx, dest, protocol.RPCReliable, []byte("first")) }()
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	secondErr := make(chan error, 1)
	go func() { secondErr <- m.Send(ctx, dest, protocol.RPCReliable, []byte("second")) }()

	cancelFirst()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("first caller: %v, want context.Canceled", err)
	}
	release()
	if err := <-secondErr; err != nil {
		t.Fatalf("second caller: %v", err)
	}
	if b.CancelledBuilds() != 0 {
		t.Fatal("the dial saw its ctx cancelled when only the first caller gave up")
	}
	if msgs, err := net.Node(actorID(1)).WaitMessages(ctx, 1); err != nil || string(msgs[0].Data) != "second" {
		t.Fatalf("got %v, %v", msgs, err)
	}
	if b.Builds() != 1 {
		t.Fatalf("builds = %d", b.Builds())
	}
}

func TestFailedDialReachesEveryWaiterAndNextSendRedials(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	const waiters = 20
	waiting := make(chan struct{}, waiters)
	m := newManager(t, b, transport.WithHooks(transport.Hooks{BeforeWait: func(transport.Dest) { waiting <- struct{}{} }}))
	dest := actor(1)
	boom := errors.New("no such peer")
	b.FailBuilds(1, boom)
	release := b.HoldBuilds()
	errs := make(chan error, waiters)
	for range waiters {
		go func() { errs <- m.Send(ctx, dest, protocol.RPCReliable, []byte("x")) }()
	}
	for range waiters { // every waiter, the creator included, shares the one dial
		<-waiting
	}
	release()
	for range waiters {
		err := <-errs
		var ce *transport.ConnectError
		if !errors.Is(err, transport.ErrConnectFailed) || !errors.Is(err, boom) || !errors.As(err, &ce) || ce.Dest != dest {
			t.Fatalf("waiter got %v, want a ConnectError wrapping %v", err, boom)
		}
	}
	if m.HasDest(dest) {
		t.Fatal("a failed dial left an entry behind")
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("again")); err != nil {
		t.Fatalf("Send after a failed dial: %v", err)
	}
	if got := b.Builds(); got != 2 {
		t.Fatalf("builds = %d, want 2 (the failure, then a fresh dial)", got)
	}
}

func TestHangingDialWaitersTimeOutAloneAndCloseCancelsDial(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	waiting := make(chan struct{}, 16)
	m := newManager(t, b, transport.WithHooks(transport.Hooks{BeforeWait: func(transport.Dest) { waiting <- struct{}{} }}))
	dest := actor(1)
	release := b.HoldBuilds()
	defer release()

	// Each waiter gives up at its own deadline; the dial stays in flight.
	for i := range 3 {
		wctx, cancel := context.WithTimeout(ctx, 0)
		err := m.Send(wctx, dest, protocol.RPCReliable, nil)
		cancel()
		if !errors.Is(err, transport.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("waiter %d: %v, want ErrTimeout", i, err)
		}
	}
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		<-waiting
	}
	patient := make(chan error, 1)
	go func() { patient <- m.Send(ctx, dest, protocol.RPCReliable, nil) }()
	<-waiting // the patient waiter is waiting on the dial in flight

	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitCancelled(ctx, 1); err != nil {
		t.Fatalf("CloseTransport did not cancel the dial: %v", err)
	}
	if err := <-patient; !errors.Is(err, transport.ErrClosing) {
		t.Fatalf("waiter of a closed dial got %v, want ErrClosing", err)
	}
	if got := b.Builds(); got != 1 {
		t.Fatalf("builds = %d, want 1", got)
	}
}

func TestIsClosingDuringCloseAndSendFailsFast(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	inClose := make(chan struct{})
	proceed := make(chan struct{})
	m := newManager(t, b, transport.WithHooks(transport.Hooks{Closing: func(*transport.DestTransport) {
		close(inClose)
		<-proceed
	}}))
	dest := actor(1)
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- m.CloseTransport(ctx, dest) }()
	<-inClose
	if !m.IsClosing(dest) {
		t.Fatal("IsClosing is false during CloseTransport")
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); !errors.Is(err, transport.ErrClosing) {
		t.Fatalf("Send during close: %v, want ErrClosing", err)
	}
	if _, err := m.GetOrCreateTransport(ctx, dest); !errors.Is(err, transport.ErrClosing) {
		t.Fatalf("GetOrCreateTransport during close: %v, want ErrClosing", err)
	}
	if m.HasDest(dest) {
		t.Fatal("HasDest is true for a closing dest")
	}
	close(proceed)
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if m.IsClosing(dest) || m.HasDest(dest) {
		t.Fatal("dest still closing or present after CloseTransport returned")
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); err != nil {
		t.Fatalf("Send after close: %v", err)
	}
	if got := b.Builds(); got != 2 {
		t.Fatalf("builds = %d, want 2", got)
	}
}

func TestInvalidDestsAndMediaRTP(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	for _, d := range []transport.Dest{transport.Shell(), transport.Local(), {}, transport.Actor(protocol.ActorID{})} {
		if err := m.Send(ctx, d, protocol.RPCReliable, nil); !errors.Is(err, transport.ErrInvalidDest) {
			t.Errorf("Send to %v: %v, want ErrInvalidDest", d, err)
		}
	}
	err := m.Send(ctx, actor(1), protocol.MediaRTP, []byte("rtp"))
	var nr *transport.NoRouteError
	if !errors.Is(err, transport.ErrNoRoute) || !errors.As(err, &nr) || nr.PayloadType != protocol.MediaRTP {
		t.Fatalf("MEDIA_RTP: %v, want a NoRouteError", err)
	}
	if err := m.Send(ctx, actor(1), protocol.PayloadType(99), nil); !errors.Is(err, transport.ErrNoRoute) {
		t.Fatalf("unknown payload type: %v", err)
	}
	if b.Builds() != 0 {
		t.Fatal("an unroutable send dialled")
	}
}

func TestCloseStopsEverythingAndLaterCallsFail(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m, err := transport.NewOutprocManager(localID, b, fastBackoff)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := m.Send(ctx, actor(i), protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
	}
	release := b.HoldBuilds()
	defer release()
	pending := make(chan error, 1)
	go func() { pending <- m.Send(ctx, actor(99), protocol.RPCReliable, nil) }()
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	stop := m.StartHealthChecker(0)
	sub := m.Subscribe(64)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	stop()
	if err := <-pending; !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("dial waiter at Close: %v, want ErrClosed", err)
	}
	for _, d := range []transport.Dest{actor(0), actor(99)} {
		if ws := b.Wires(d); len(ws) > 0 && !ws[0].Closed() {
			t.Fatalf("wire to %v left open", d)
		}
	}
	if err := m.Send(ctx, actor(0), protocol.RPCReliable, nil); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if _, err := m.GetOrCreateTransport(ctx, actor(7)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("GetOrCreateTransport after Close: %v", err)
	}
	if m.DestCount() != 0 || len(m.ListDests()) != 0 {
		t.Fatal("dests remain after Close")
	}
	for range sub.Events() { // closed by Close
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	release()
	// The held build returns after Close; goleak (TestMain) proves its
	// goroutine ended, since Close waited for it.
}

func TestCloseAllKeepsManagerUsable(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	m := newManager(t, b)
	for i := range 3 {
		if err := m.Send(ctx, actor(i), protocol.RPCReliable, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.CloseAll(ctx); err != nil {
		t.Fatal(err)
	}
	if m.DestCount() != 0 {
		t.Fatalf("DestCount after CloseAll = %d", m.DestCount())
	}
	if err := m.Send(ctx, actor(0), protocol.RPCReliable, nil); err != nil {
		t.Fatalf("Send after CloseAll: %v", err)
	}
	if !m.HasDest(actor(0)) || len(m.ListDests()) != 1 || m.LocalID() != localID {
		t.Fatal("manager state wrong after CloseAll and a new Send")
	}
}

// A wire whose peer is unknown to the authority (signaling's 404) is not
// retried: the Send fails at once with an error saying so, and the next
// Send dials again.
func TestUnknownPeerIsNotRetried(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric(transport.WireWebRTC)
	m := newManager(t, b, transport.WithBackoff(transport.Backoff{Attempts: 5, Initial: time.Millisecond}))
	b.FailConnects(transport.WireWebRTC, 2, fmt.Errorf("signaling said 404: %w", transport.ErrPeerUnknown))
	dest := actor(1)
	sub := m.Subscribe(64)
	defer sub.Close()
	for i := range 2 {
		err := m.Send(ctx, dest, protocol.RPCReliable, []byte("x"))
		if !errors.Is(err, transport.ErrPeerUnknown) || !errors.Is(err, transport.ErrNoRoute) {
			t.Fatalf("Send %d: %v, want ErrPeerUnknown and ErrNoRoute", i, err)
		}
		ws := b.Wires(dest)
		if len(ws) != i+1 || ws[i].ConnectCalls() != 1 {
			t.Fatalf("after Send %d: %d wires built, the last connected %d times; want one attempt per Send", i, len(ws), ws[len(ws)-1].ConnectCalls())
		}
		// The dead transport is dropped; the next Send dials afresh.
		waitEvent(t, ctx, sub, func(ev transport.Event) bool { return ev.Kind == transport.EventTransportRemoved && ev.Dest == dest })
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("x")); err != nil {
		t.Fatalf("Send once the peer is known: %v", err)
	}
}
