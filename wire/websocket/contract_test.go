package websocket_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
	"github.com/actr-go/actr/wire/websocket"
)

// The delivery contract (README) over WebSocket: messages whose Send
// returned nil arrive once, intact and in order per payload type; when the
// connection dies mid-stream the death is reported, only messages sent on
// the dying connection may be missing, nothing is duplicated or
// reordered, and the stream resumes on a new connection.

// contractSizes cycles through small, medium and fragment-sized messages.
var contractSizes = []int{16, 300, 1200, 20000}

func TestDeliveryContractSteady(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	log := transporttest.NewDeliveryLog(protocol.StreamLatencyFirst)
	w.node(t, idB, nodeOpts{handler: log})
	a := w.node(t, idA, nodeOpts{noListen: true})

	const perStream = 500
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for _, pt := range protocol.DataPayloadTypes() {
		for stream := range uint8(2) {
			wg.Go(func() {
				for seq := range uint32(perStream) {
					data := transporttest.SeqPayload(stream, seq, contractSizes[int(seq)%len(contractSizes)])
					if err := a.mgr.Send(ctx, transport.Actor(idB), pt, data); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, pt := range protocol.DataPayloadTypes() {
		if pt == protocol.StreamLatencyFirst {
			continue // may drop at a full inbound queue; checked for integrity only
		}
		for stream := range uint8(2) {
			if err := log.WaitFor(ctx, transporttest.SeqKey{From: idA, Type: pt, Stream: stream}, perStream-1); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, v := range log.Violations() {
		t.Error(v)
	}
	for _, pt := range protocol.DataPayloadTypes() {
		if pt == protocol.StreamLatencyFirst {
			continue
		}
		for stream := range uint8(2) {
			if n := log.Count(transporttest.SeqKey{From: idA, Type: pt, Stream: stream}); n != perStream {
				t.Errorf("%s stream %d: %d of %d delivered", pt, stream, n, perStream)
			}
		}
	}
}

func TestDeliveryContractConnectionDies(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	log := transporttest.NewDeliveryLog()
	b := w.node(t, idB, nodeOpts{handler: log})
	gate := b.server.URL("/actr/" + idB.String())
	host := strings.TrimPrefix(gate, "ws://")
	host = host[:strings.IndexByte(host, '/')]
	proxy := newCutProxy(t, host)
	w.dir.set(idB, strings.Replace(gate, host, proxy.addr(), 1))
	a := w.node(t, idA, nodeOpts{noListen: true})
	sub := a.mgr.Subscribe(1024)
	defer sub.Close()

	// The sender streams until 300 Sends started after the death was
	// reported have returned nil.
	key := transporttest.SeqKey{From: idA, Type: protocol.RPCReliable}
	stream := transporttest.StartCrossingStream(ctx, func(ctx context.Context, seq uint32) error {
		return a.mgr.Send(ctx, transport.Actor(idB), key.Type, transporttest.SeqPayload(0, seq, contractSizes[int(seq)%len(contractSizes)]))
	}, 5*time.Second, 300)

	// Mid-stream: cut once 300 messages have arrived.
	if err := log.WaitFor(ctx, key, 299); err != nil {
		t.Fatal(err)
	}
	cutAt := time.Now()
	if n := proxy.cut(); n != 1 {
		t.Fatalf("the proxy carried %d connections, want 1", n)
	}
	var failed transport.Event
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		failed = e
		return e.Kind == transport.EventWireStateChanged && e.State == transport.WireFailed && e.WireKind == transport.WireWebSocket
	})
	stream.DeathReported()
	t.Logf("connection reset → wire failed reported in %v (%v)", failed.Time.Sub(cutAt).Round(time.Microsecond), failed.Err)
	results := stream.Wait()
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
	// The stream resumed on a new connection: its last message arrives.
	if err := log.WaitFor(ctx, key, uint32(len(results)-1)); err != nil {
		t.Fatal(err)
	}
	for _, v := range log.Violations() {
		t.Error(v)
	}
	// The Send on the dying connection fails with it; until the dead
	// transport is removed a Send reports the death (a no-route error
	// whose cause is it); the one after dials again.
	lost, failedSends, violations := log.Judge(key, results, func(err error) bool {
		return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, transport.ErrNoRoute) || errors.Is(err, transport.ErrLaneClosed)
	})
	for _, v := range violations {
		t.Error(v)
	}
	t.Logf("%d Sends: %d messages lost on the dying connection, %d Sends returned an error", len(results), lost, failedSends)
}

// A peer that stops reading (its handler hangs; the TCP connection stays
// up): every Send returns by its ctx, with its deadline's error when it
// could not be written. The Send whose frame is stuck on the socket
// closes the connection when its deadline passes (ErrPeerStalled: a frame
// cannot be abandoned half-written), the death is reported, and later
// Sends dial a new connection. Nothing queues in memory meanwhile, and
// once the peer reads again messages get through.
func TestHalfOpenPeerSendBlocksToCtxMemoryBounded(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	release := make(chan struct{})
	released := sync.OnceFunc(func() { close(release) })
	defer released()
	log := transporttest.NewDeliveryLog()
	var stalled atomic.Bool
	stalled.Store(true)
	stall := transporttest.Stalled(release)
	// A shallow inbound queue: the stalled path holds less, and the
	// senders below offer several times what it holds.
	w.node(t, idB, nodeOpts{mgrOpts: []transport.Option{transport.WithInboundQueueDepth(4)}, handler: transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if stalled.Load() {
			stall.ServeMessage(ctx, m)
			return
		}
		log.ServeMessage(ctx, m)
	})})
	a := w.node(t, idA, nodeOpts{noListen: true})
	sub := a.mgr.Subscribe(1024)
	defer sub.Close()
	send := func(ctx context.Context, pt protocol.PayloadType, data []byte) error {
		return a.mgr.Send(ctx, transport.Actor(idB), pt, data)
	}
	const size = 64 << 10
	r, err := transporttest.FillUntilBlocked(ctx, send, protocol.StreamReliable, size, 100*time.Millisecond, 1, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	cs := a.dialer.Counters()
	t.Logf("stalled peer: %d × 64 KiB accepted before a Send hit its 100 ms deadline; then %d offered by 16 senders (%d MiB): %d refused at their deadline (at most %v late), %d failed as their connection was closed, %d taken; %d connections closed as stalled, %d dialled; heap grew %+d KiB",
		r.Accepted, r.Offered, r.Offered*size>>20, r.Refused, r.MaxOverrun.Round(time.Millisecond), r.Died, r.Offered-r.Refused-r.Died,
		cs.StalledWrites.Load(), cs.Dials.Load(), r.HeapGrowth>>10)
	if limit := int64(r.Offered * size / 4); r.HeapGrowth > limit {
		t.Errorf("the heap grew %d KiB while %d messages were offered: something queues them (limit %d KiB)", r.HeapGrowth>>10, r.Offered, limit>>10)
	}
	if cs.StalledWrites.Load() == 0 {
		t.Error("no connection was closed as stalled")
	}
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventWireStateChanged && e.State == transport.WireFailed && errors.Is(e.Err, websocket.ErrPeerStalled)
	})
	// The peer reads again: a new message gets through.
	stalled.Store(false)
	released()
	if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, transporttest.SeqPayload(0, 0, 100)); err != nil {
		t.Fatal(err)
	}
	if err := log.WaitFor(ctx, transporttest.SeqKey{From: idA, Type: protocol.RPCReliable}, 0); err != nil {
		t.Fatal(err)
	}
}

// A Send without a deadline whose frame is stuck on a peer that stopped
// reading returns when a keepalive declares the connection dead: the
// stalled side cannot read pongs, and its pongs cannot reach us behind
// the data it does not read. Whichever side gives up first, the Send
// returns with the death.
func TestHalfOpenPeerIsDeclaredDeadByKeepalive(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	release := make(chan struct{})
	defer close(release)
	keepalive := websocket.Options{PingInterval: 200 * time.Millisecond, PingTimeout: 500 * time.Millisecond}
	b := w.node(t, idB, nodeOpts{gateOpts: keepalive, handler: transporttest.Stalled(release)})
	a := w.node(t, idA, nodeOpts{noListen: true, dialOpts: keepalive})
	if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, []byte("first")); err != nil {
		t.Fatal(err)
	}
	// Messages with no deadline, until one is stuck on the socket and
	// returns only when the keepalive gives the peer up.
	start := time.Now()
	var err error
	for n := 0; err == nil; n++ {
		if n > 100000 {
			t.Fatal("100,000 × 64 KiB taken by a peer that does not read")
		}
		start = time.Now()
		err = a.mgr.Send(context.Background(), transport.Actor(idB), protocol.StreamReliable, make([]byte, 64<<10))
	}
	took := time.Since(start)
	if !errors.Is(err, transport.ErrNoRoute) && !errors.Is(err, transport.ErrLaneClosed) {
		t.Fatalf("a Send stuck on a stalled peer returned %v, want the connection's death", err)
	}
	ac, bc := a.dialer.Counters(), b.gate.Counters()
	if ac.PingFailures.Load()+bc.PingFailures.Load() == 0 {
		t.Fatalf("the stuck Send returned (%v) but neither keepalive failed (stalls %d/%d, stalled writes %d/%d, refused for the budget %d/%d)", err,
			ac.Stalls.Load(), bc.Stalls.Load(), ac.StalledWrites.Load(), bc.StalledWrites.Load(), ac.RefusedBudget.Load(), bc.RefusedBudget.Load())
	}
	t.Logf("a Send with no deadline stuck on a stalled peer returned after %v (keepalive: interval %v + timeout %v): %v",
		took.Round(time.Millisecond), keepalive.PingInterval, keepalive.PingTimeout, err)
}
