package webrtc_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// The delivery contract (README) over WebRTC, on the virtual network:
// under loss and jitter every reliable message arrives once, intact and
// in order, and latency-first messages arrive intact or not at all; when
// a partition kills the connection mid-stream, only messages sent on the
// dying connection are missing and the stream resumes on a new one.

// sendSeq sends count sequenced messages of stream 0 from a to b on pt,
// cycling through sizes.
func sendSeq(ctx context.Context, a *faultNode, to protocol.ActorID, pt protocol.PayloadType, count int, sizes []int) error {
	for seq := range uint32(count) {
		if err := a.mgr.Send(ctx, transport.Actor(to), pt, transporttest.SeqPayload(0, seq, sizes[int(seq)%len(sizes)])); err != nil {
			return err
		}
	}
	return nil
}

func TestFaultLossAndJitterDeliverInOrder(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNetWith(t, 2, netFaults{loss: 0.05, minDelay: 5 * time.Millisecond, jitter: 50 * time.Millisecond})
	w := newFaultWorld(t)
	log := transporttest.NewDeliveryLog(protocol.StreamLatencyFirst)
	a := w.node(t, ctx, vn.nets[0], faultNodeOpts{})
	b := w.node(t, ctx, vn.nets[1], faultNodeOpts{handler: log})
	start := time.Now()

	// Pion's SCTP recovers a lost packet that fast retransmit misses only
	// after its retransmission timeout (at least 1 s, RFC 4960): at 5 %
	// loss it moves ~50-100 kB/s (jitter alone: over 1 MB/s), which keeps
	// this run small.
	const perType = 40
	reliable := []int{16, 300, 1200, 5000, 20000} // 20 kB is two fragments
	latencyFirst := []int{16, 300, 1200}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for _, pt := range protocol.DataPayloadTypes() {
		sizes := reliable
		if pt == protocol.StreamLatencyFirst {
			sizes = latencyFirst
		}
		wg.Go(func() {
			if err := sendSeq(ctx, a, b.id, pt, perType, sizes); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var bytes int
	for _, pt := range []protocol.PayloadType{protocol.RPCReliable, protocol.RPCSignal, protocol.StreamReliable} {
		if err := log.WaitFor(ctx, transporttest.SeqKey{From: a.id, Type: pt}, perType-1); err != nil {
			t.Fatal(err)
		}
		for i := range perType {
			bytes += reliable[i%len(reliable)]
		}
	}
	took := time.Since(start)
	for _, v := range log.Violations() {
		t.Error(v)
	}
	for _, pt := range []protocol.PayloadType{protocol.RPCReliable, protocol.RPCSignal, protocol.StreamReliable} {
		if n := log.Count(transporttest.SeqKey{From: a.id, Type: pt}); n != perType {
			t.Errorf("%s: %d of %d delivered", pt, n, perType)
		}
	}
	for _, ev := range a.events.since(0) {
		if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireFailed {
			t.Errorf("the wire failed under 5 %% loss: %s", ev)
		}
	}
	lost, passed := vn.lost.Load(), vn.passed.Load()
	if lost == 0 {
		t.Fatal("the network dropped no packet: the traffic is not on the impaired network")
	}
	lf := log.Count(transporttest.SeqKey{From: a.id, Type: protocol.StreamLatencyFirst})
	t.Logf("%.1f %% of %d packets dropped, 5-55 ms delay: %d reliable messages (%d kB) delivered in order in %v; %d of %d latency-first messages had arrived by then, all intact",
		100*float64(lost)/float64(lost+passed), lost+passed, 3*perType, bytes/1000, took.Round(time.Millisecond), lf, perType)
}

// A partition kills the WebRTC connection in the middle of a stream: the
// death is reported (the wire fails, the transport is removed, Sends
// error meanwhile), only messages sent on the dying connection are
// missing, nothing arrives twice or out of order, and once the network
// heals the stream resumes on a new session by itself.
func TestFaultDeliveryContractAcrossPartition(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	w := newFaultWorld(t)
	log := transporttest.NewDeliveryLog()
	// Both record into log; a (the offerer, which restarts ICE) sends.
	a, b := ordered(w.node(t, ctx, vn.nets[0], faultNodeOpts{handler: log}), w.node(t, ctx, vn.nets[1], faultNodeOpts{handler: log}))
	key := transporttest.SeqKey{From: a.id, Type: protocol.RPCReliable}
	sizes := []int{16, 300, 1200, 5000}

	// The sender streams until 200 Sends started after the transport was
	// removed have returned nil.
	const afterDeath = 200
	stream := transporttest.StartCrossingStream(ctx, func(ctx context.Context, seq uint32) error {
		return a.mgr.Send(ctx, transport.Actor(b.id), key.Type, transporttest.SeqPayload(0, seq, sizes[int(seq)%len(sizes)]))
	}, 500*time.Millisecond, afterDeath)
	if err := log.WaitCount(ctx, key, 200); err != nil {
		t.Fatal(err)
	}
	conn, ok := a.co.Conn(b.id)
	if !ok {
		t.Fatal("no WebRTC Conn after 200 messages")
	}
	awaitDeath(t, ctx, vn, a, b, conn, nil)
	stream.DeathReported()
	healed := vn.heal()
	results := stream.Wait()
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
	if err := log.WaitFor(ctx, key, uint32(len(results)-1)); err != nil {
		t.Fatal(err)
	}
	t.Logf("heal → %d more messages delivered on a new session in %v", afterDeath, time.Since(healed).Round(time.Millisecond))

	for _, v := range log.Violations() {
		t.Error(v)
	}
	lost, failed, violations := log.Judge(key, results, func(err error) bool {
		var noRoute *transport.NoRouteError
		return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &noRoute) || errors.Is(err, transport.ErrConnectFailed)
	})
	for _, v := range violations {
		t.Error(v)
	}
	if failed == 0 {
		t.Error("no Send reported an error while the peer was cut off")
	}
	t.Logf("%d Sends: %d messages lost on the dying connection, %d Sends returned an error during the partition", len(results), lost, failed)
}

// A peer that stops reading (its handler hangs): SCTP's receive window
// closes, BufferedAmount reaches its limit, and every Send then returns
// by its ctx with the deadline's error; nothing queues in memory, the
// connection stays up, and once the peer reads again traffic resumes.
func TestFaultHalfOpenPeerSendBlocksToCtx(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	w := newFaultWorld(t)
	release := make(chan struct{})
	released := sync.OnceFunc(func() { close(release) })
	defer released()
	a := w.node(t, ctx, vn.nets[0], faultNodeOpts{})
	b := w.node(t, ctx, vn.nets[1], faultNodeOpts{handler: transporttest.Stalled(release),
		mgrOpts: []transport.Option{transport.WithInboundQueueDepth(4)}})
	send := func(ctx context.Context, pt protocol.PayloadType, data []byte) error {
		return a.mgr.Send(ctx, transport.Actor(b.id), pt, data)
	}
	const size = 64 << 10
	r, err := transporttest.FillUntilBlocked(ctx, send, protocol.StreamReliable, size, 100*time.Millisecond, 3, 8, 4)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stalled peer: %d × 64 KiB accepted before a Send hit its 100 ms deadline; then %d offered (%d MiB): %d refused at their deadline (at most %v late), %d failed, %d taken; heap grew %+d KiB",
		r.Accepted, r.Offered, r.Offered*size>>20, r.Refused, r.MaxOverrun.Round(time.Millisecond), r.Died, r.Offered-r.Refused-r.Died, r.HeapGrowth>>10)
	if r.Refused != r.Offered {
		t.Errorf("%d of %d Sends to the stalled peer did not time out", r.Offered-r.Refused, r.Offered)
	}
	if limit := int64(r.Offered * size / 4); r.HeapGrowth > limit {
		t.Errorf("the heap grew %d KiB while %d messages were offered: something queues them (limit %d KiB)", r.HeapGrowth>>10, r.Offered, limit>>10)
	}
	released()
	sctx := within(t, ctx, 20*time.Second)
	if err := a.mgr.Send(sctx, transport.Actor(b.id), protocol.RPCReliable, []byte("reading again?")); err != nil {
		t.Fatalf("after the peer reads again: %v", err)
	}
	for _, ev := range a.events.since(0) {
		if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireFailed {
			t.Errorf("the wire failed while the peer was only slow: %s", ev)
		}
	}
}
