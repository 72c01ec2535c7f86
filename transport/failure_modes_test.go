package transport_test

// One test per failure mode of DESIGN §8 that lives in this layer. Each
// forces the dangerous interleaving with a hook, so it fails every time on
// a design that has the flaw, not only when the scheduler is unlucky.

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// F1: a waiter that saw "connecting" must not miss a completion that
// happens before it starts waiting.
func TestF1WaiterCannotMissCompletion(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	release := b.HoldBuilds()
	var once sync.Once
	var m *transport.OutprocManager
	created := make(chan struct{})
	m = newManager(t, b, transport.WithHooks(transport.Hooks{BeforeWait: func(transport.Dest) {
		// The waiter has seen the dial in flight but is not waiting yet:
		// let the dial finish completely before it starts to wait.
		once.Do(func() {
			release()
			<-created
		})
	}}))
	sub := m.Subscribe(16)
	go func() {
		waitEvent(t, ctx, sub, func(e transport.Event) bool { return e.Kind == transport.EventTransportCreated })
		close(created)
	}()
	if err := m.Send(ctx, actor(1), protocol.RPCReliable, []byte("x")); err != nil {
		t.Fatalf("waiter that raced the completion: %v", err)
	}
}

// F2: the creator is decided in the same critical section that inserts
// the Connecting entry; the others become waiters.
func TestF2ExactlyOneCreatorUnderRace(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	release := b.HoldBuilds()
	const racers = 64
	var waiting atomic.Int32
	allWaiting := make(chan struct{})
	m := newManager(t, b, transport.WithHooks(transport.Hooks{BeforeWait: func(transport.Dest) {
		if waiting.Add(1) == racers {
			close(allWaiting)
		}
	}}))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range racers {
		wg.Go(func() {
			<-start
			if _, err := m.GetOrCreateTransport(ctx, actor(1)); err != nil {
				t.Errorf("GetOrCreateTransport: %v", err)
			}
		})
	}
	close(start)
	<-allWaiting // every racer, creator included, is waiting on the one dial
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got := b.Builds()
	release()
	wg.Wait()
	if got != 1 {
		t.Fatalf("%d builds started for %d racers, want 1", got, racers)
	}
	if got := b.Builds(); got != 1 {
		t.Fatalf("builds = %d, want 1", got)
	}
}

// F3: closing a destination while it is connecting must not let the
// creator install a transport for it afterwards.
func TestF3CloseWhileConnectingInstallsNothing(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	release := b.HoldBuildsIgnoringCancel()
	m := newManager(t, b)
	dest := actor(1)
	sendErr := make(chan error, 1)
	go func() { sendErr <- m.Send(ctx, dest, protocol.RPCReliable, nil) }()
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := <-sendErr; !errors.Is(err, transport.ErrClosing) {
		t.Fatalf("Send: %v, want ErrClosing", err)
	}
	release() // the builder ignored the cancel and returns wires anyway
	for _, w := range waitBuiltWires(t, b, dest, 2) {
		select {
		case <-w.Done():
		case <-ctx.Done():
			t.Fatal("a wire built for a closed dest was never closed")
		}
		if w.ConnectCalls() != 0 {
			t.Fatal("a wire built for a closed dest was connected")
		}
	}
	if m.HasDest(dest) || m.DestCount() != 0 {
		t.Fatal("a closed dest got a transport")
	}
}

// F4: a creator superseded by a newer entry must not overwrite it.
func TestF4SupersededCreatorDoesNotOverwrite(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric()
	releaseOld := b.HoldBuildsIgnoringCancel()
	m := newManager(t, b)
	dest := actor(1)
	oldErr := make(chan error, 1)
	go func() { oldErr <- m.Send(ctx, dest, protocol.RPCReliable, nil) }()
	if err := b.WaitHeld(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	<-oldErr
	b.PassNewBuilds()
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("new")); err != nil {
		t.Fatal(err)
	}
	newT, ok := m.Transport(dest)
	if !ok {
		t.Fatal("no transport after the new dial")
	}
	releaseOld()
	stale := waitBuiltWires(t, b, dest, 4)[2:] // wires 0,1 are the new dial's; 2,3 the stale one's
	for _, w := range stale {
		<-w.Done()
	}
	if got, ok := m.Transport(dest); !ok || got != newT {
		t.Fatal("the superseded creator replaced the newer transport")
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("still")); err != nil {
		t.Fatal(err)
	}
}

// waitBuiltWires waits until the builder has built n wires for dest.
func waitBuiltWires(t *testing.T, b *transporttest.Builder, dest transport.Dest, n int) []*transporttest.Wire {
	t.Helper()
	ws, err := b.WaitWires(guard(t), dest, n)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// F5: a stale cleanup (the ready monitor of a transport that has since
// been closed and replaced) must not remove the newer transport.
func TestF5StaleCleanupSparesNewerTransport(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric(transport.WireWebSocket)
	var old atomic.Pointer[transport.DestTransport]
	reaping, proceed := make(chan struct{}), make(chan struct{})
	reaped := make(chan bool, 1)
	m := newManager(t, b, transport.WithHooks(transport.Hooks{
		BeforeReap: func(tr *transport.DestTransport) {
			if tr == old.Load() {
				close(reaping)
				<-proceed
			}
		},
		AfterReap: func(tr *transport.DestTransport, removed bool) {
			if tr == old.Load() {
				reaped <- removed
			}
		},
	}))
	dest := actor(1)
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	t1, _ := m.Transport(dest)
	old.Store(t1)
	b.Drop(dest, transport.WireWebSocket) // t1's only wire dies; its ready monitor sets out to reap it
	<-reaping
	// Before the stale cleanup acts, the dest is closed and dialled anew.
	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	t2, _ := m.Transport(dest)
	if t2 == nil || t2 == t1 || t2.ID() == t1.ID() {
		t.Fatal("no fresh transport")
	}
	close(proceed)
	if <-reaped {
		t.Fatal("the stale cleanup removed a transport")
	}
	if got, ok := m.Transport(dest); !ok || got != t2 {
		t.Fatal("the stale cleanup removed the newer transport")
	}
	if w, ok := b.LiveWire(dest, transport.WireWebSocket); !ok || w.Closed() {
		t.Fatal("the newer transport's wire was closed")
	}
	if err := t2.Send(ctx, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
}

// F6: a connect that succeeds while the pool is being closed must not
// publish the wire as ready in the closed pool, and the wire must be closed.
func TestF6LateConnectIntoClosedPoolIsClosed(t *testing.T) {
	ctx := guard(t)
	_, b := newFabric(transport.WireWebSocket)
	connected := make(chan transport.Wire, 1)
	poolClosed := make(chan struct{})
	m := newManager(t, b, transport.WithHooks(transport.Hooks{
		AfterConnect: func(w transport.Wire) {
			connected <- w
			<-poolClosed // commit only after the pool has been marked closed
		},
		PoolClosed: func(*transport.WirePool) { close(poolClosed) },
	}))
	sub := m.Subscribe(64)
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	w := <-connected
	if err := m.CloseTransport(ctx, dest); err != nil {
		t.Fatal(err)
	}
	for _, wi := range tr.Pool().Wires() {
		if wi.State == transport.WireReady {
			t.Fatalf("wire %d is ready in a closed pool", wi.ID)
		}
	}
	for {
		select {
		case ev := <-sub.Events():
			if ev.Kind == transport.EventWireStateChanged && ev.WireID == w.ID() && ev.State == transport.WireReady {
				t.Fatal("the late connect was published as ready")
			}
			continue
		default:
		}
		break
	}
	if fw, _ := b.WaitWires(ctx, dest, 1); !fw[0].Closed() {
		t.Fatal("the late-connected wire leaked")
	}
	if err := tr.Send(ctx, protocol.RPCReliable, nil); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Send on the closed transport: %v", err)
	}
}

// F7: when every wire has exhausted its retries, the failure is published
// and a waiting Send returns a no-route error instead of waiting forever.
func TestF7ExhaustedRetriesAreAnnounced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, b := newFabric()
		b.FailConnects(transport.WireWebRTC, 100, nil)
		b.FailConnects(transport.WireWebSocket, 100, nil)
		m, err := transport.NewOutprocManager(localID, b) // default backoff: 3 attempts, 1 s, 2 s
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		sub := m.Subscribe(256)
		dest := actor(1)
		err = m.Send(t.Context(), dest, protocol.RPCReliable, nil)
		if !errors.Is(err, transport.ErrNoRoute) || !errors.Is(err, transport.ErrConnectFailed) || !errors.Is(err, transporttest.ErrInjected) {
			t.Fatalf("Send: %v, want a no-route error caused by the connect failure", err)
		}
		for _, w := range b.Wires(dest) {
			if w.ConnectCalls() != 3 {
				t.Fatalf("%s wire connected %d times, want 3", w.Kind(), w.ConnectCalls())
			}
		}
		synctest.Wait()
		if m.HasDest(dest) {
			t.Fatal("a transport with no recoverable wire was kept")
		}
		failed, removed := 0, 0
		for len(sub.Events()) > 0 {
			ev := <-sub.Events()
			if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireFailed {
				failed++
			}
			if ev.Kind == transport.EventTransportRemoved {
				removed++
			}
		}
		if failed != 2 || removed != 1 {
			t.Fatalf("events: %d wire failures, %d removals; want 2 and 1", failed, removed)
		}
	})
}

// F8: a sender waiting for a lane is woken with ErrClosed when the pool
// closes.
func TestF8SenderWaitingOnClosedPoolIsWoken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, b := newFabric()
		defer b.HangConnects(transport.WireWebRTC)()
		defer b.HangConnects(transport.WireWebSocket)()
		m, err := transport.NewOutprocManager(localID, b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		dest := actor(1)
		tr, err := m.GetOrCreateTransport(t.Context(), dest)
		if err != nil {
			t.Fatal(err)
		}
		sendErr := make(chan error, 1)
		go func() { sendErr <- tr.Send(t.Context(), protocol.RPCReliable, nil) }()
		synctest.Wait() // the sender is now blocked waiting for a ready lane
		if err := m.CloseTransport(t.Context(), dest); err != nil {
			t.Fatal(err)
		}
		if err := <-sendErr; !errors.Is(err, transport.ErrClosed) {
			t.Fatalf("waiting sender got %v, want ErrClosed", err)
		}
	})
}

// A wire adopted while the destination's dead transport is being reaped
// (its last wire died, and the peer connects again at that moment) must
// not be lost: the reap backs off, and the transport carries on with the
// adopted wire.
func TestAdoptDuringReapRevivesTransport(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric(transport.WireWebSocket)
	var old atomic.Pointer[transport.DestTransport]
	reaping, proceed := make(chan struct{}), make(chan struct{})
	reaped := make(chan bool, 1)
	m := newManager(t, b, transport.WithHooks(transport.Hooks{
		BeforeReap: func(tr *transport.DestTransport) {
			if tr == old.Load() {
				close(reaping)
				<-proceed
			}
		},
		AfterReap: func(tr *transport.DestTransport, removed bool) {
			if tr == old.Load() {
				reaped <- removed
			}
		},
	}))
	dest := actor(1)
	if err := m.Send(ctx, dest, protocol.RPCReliable, nil); err != nil {
		t.Fatal(err)
	}
	t1, _ := m.Transport(dest)
	old.Store(t1)
	b.Drop(dest, transport.WireWebSocket) // t1's only wire dies: it is to be reaped
	<-reaping
	// The peer connects to us again before the reap acts.
	peer := transporttest.NewBuilder(net, actorID(1), transport.WireWebSocket)
	ws, err := peer.Build(ctx, transport.BuildRequest{Dest: transport.Actor(localID), Inbound: m.Inbound()})
	if err != nil {
		t.Fatal(err)
	}
	w := ws[0].(*transporttest.Wire)
	if err := w.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := m.Adopt(ctx, dest, w); err != nil {
		t.Fatal(err)
	}
	close(proceed)
	if <-reaped {
		t.Fatal("the reap removed a transport that had just adopted a wire")
	}
	if w.Closed() {
		t.Fatal("the adopted wire was closed")
	}
	if got, ok := m.Transport(dest); !ok || got != t1 {
		t.Fatal("the destination lost its transport")
	}
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("on the adopted wire")); err != nil {
		t.Fatal(err)
	}
	if b.BuildsFor(dest) != 1 {
		t.Fatalf("%d builds for dest: the send should have used the adopted wire", b.BuildsFor(dest))
	}
}
