package webrtc_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// Network faults of the WebRTC wire, on pion's virtual network (see
// faults_helpers_test.go). Every wait is for an event; the bounds are
// computed from the ICE timers of testConfig, plus faultSlack for a
// loaded two-core machine running with -race.

// faultSlack is what a bound allows beyond what the timers explain.
const faultSlack = 4 * time.Second

// connectRTC makes a's WebRTC wire to b with a first message, and returns
// the Conn.
func connectRTC(t *testing.T, ctx context.Context, a, b *faultNode) *webrtc.Conn {
	t.Helper()
	n := len(b.in.wait(t, ctx, 0))
	if err := a.mgr.Send(ctx, transport.Actor(b.id), protocol.RPCReliable, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if m := b.in.wait(t, ctx, n+1)[n]; m.Wire != transport.WireWebRTC || m.From != a.id {
		t.Fatalf("the first message came over %s from %s, want webrtc from %s", m.Wire, m.From, a.id)
	}
	c, ok := a.co.Conn(b.id)
	if !ok || !c.Ready() {
		t.Fatalf("no ready WebRTC Conn to %s after a message went over it", b.id)
	}
	// b adopts its side of the connection in the background.
	b.events.await(t, ctx, 0, "b to adopt the WebRTC wire", isWireState(transport.WireWebRTC, transport.WireReady))
	return c
}

// sendOver sends msg from a to b and checks that b receives it, intact,
// over wire kind want.
func sendOver(t *testing.T, ctx context.Context, a, b *faultNode, pt protocol.PayloadType, msg string, want transport.WireKind) {
	t.Helper()
	n := len(b.in.wait(t, ctx, 0))
	if err := a.mgr.Send(ctx, transport.Actor(b.id), pt, []byte(msg)); err != nil {
		t.Fatalf("sending %q: %v", msg, err)
	}
	m := b.in.wait(t, ctx, n+1)[n]
	if m.Wire != want || m.Type != pt || !bytes.Equal(m.Data, []byte(msg)) {
		t.Fatalf("b got %q (%s) over %s, want %q (%s) over %s", m.Data, m.Type, m.Wire, msg, pt, want)
	}
}

// awaitDeath partitions the network under a connected pair and checks
// that a, the offerer, restarts ICE exactly ICERestarts times, declares
// its WebRTC wire failed and drops the transport, all within the bound
// its ICE timers give.
func awaitDeath(t *testing.T, ctx context.Context, vn *faultNet, a, b *faultNode, conn *webrtc.Conn, whileCut func()) {
	t.Helper()
	dest := transport.Actor(b.id)
	restartsBefore := a.co.Counters().ICERestarts.Load()
	from := a.events.mark()

	cut := vn.partition()
	if whileCut != nil {
		whileCut()
	}
	bound := giveUpBound(a.cfg) + faultSlack
	dctx := within(t, ctx, bound)
	first, _ := a.events.await(t, dctx, from, "the first ICE restart", ofWire(transport.EventICERestartStarted, conn.ID()))
	failed, _ := a.events.await(t, dctx, from, "the WebRTC wire to fail", func(ev transport.Event) bool {
		return isWireState(transport.WireWebRTC, transport.WireFailed)(ev) && ev.WireID == conn.ID()
	})
	removed, _ := a.events.await(t, dctx, from, "the transport to be removed", func(ev transport.Event) bool {
		return ev.Kind == transport.EventTransportRemoved && ev.Dest == dest
	})
	t.Logf("partition → disconnected, first ICE restart %v; → wire failed %v; → transport removed %v (bound %v: disconnected %v + failed %v × (%d restarts + 1) + slack %v)",
		first.Time.Sub(cut).Round(time.Millisecond), failed.Time.Sub(cut).Round(time.Millisecond),
		removed.Time.Sub(cut).Round(time.Millisecond), bound, a.cfg.ICEDisconnectedTimeout, a.cfg.ICEFailedTimeout, restartsOf(a.cfg), faultSlack)

	// Not before the restarts were tried: exactly ICERestarts of them, none
	// completed, and only then the wire was given up.
	var started int
	for _, ev := range a.events.since(from) {
		switch {
		case ofWire(transport.EventICERestartStarted, conn.ID())(ev):
			started++
			if ev.Time.After(failed.Time) {
				t.Errorf("an ICE restart started after the wire failed: %s", ev)
			}
		case ofWire(transport.EventICERestartCompleted, conn.ID())(ev):
			t.Errorf("an ICE restart completed across a permanent partition: %s", ev)
		}
	}
	if want := restartsOf(a.cfg); started != want {
		t.Errorf("%d ICE restarts started before the wire failed, want %d", started, want)
	}
	if got := a.co.Counters().ICERestarts.Load() - restartsBefore; got != uint64(started) {
		t.Errorf("Counters().ICERestarts grew by %d, %d restart events", got, started)
	}
	if !errors.Is(failed.Err, transport.ErrWireClosed) {
		t.Errorf("the failed wire's error %v does not match ErrWireClosed", failed.Err)
	}
	select {
	case <-conn.Done():
	default:
		t.Error("the pool failed the wire but its Conn is not done")
	}
	// (A Send racing the removal may already have dialled a new one.)
	if tr, ok := a.mgr.Transport(dest); ok && tr.ID() == removed.TransportID {
		t.Error("the transport is still there after EventTransportRemoved")
	}
	if c, ok := a.co.Conn(b.id); ok && c.ID() == conn.ID() {
		t.Error("the Coordinator still has the dead Conn to the vanished peer")
	}
	if vn.dropped.Load() == 0 {
		t.Error("the partition dropped no packet: the WebRTC traffic is not on the virtual network")
	}
}

// A peer that stops answering (the network between the two is cut) is
// detected by the offerer within its ICE bound: restarts are tried, then
// the wire fails and the transport is removed. When the network returns,
// the next Send dials a new session and gets through.
func TestFaultPeerVanishesThenReturns(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	w := newFaultWorld(t)
	a, b := ordered(w.node(t, ctx, vn.nets[0], faultNodeOpts{}), w.node(t, ctx, vn.nets[1], faultNodeOpts{}))
	conn := connectRTC(t, ctx, a, b)
	sessions := a.co.Counters().Sessions.Load()

	awaitDeath(t, ctx, vn, a, b, conn, nil)

	healed := vn.heal()
	sendOver(t, ctx, a, b, protocol.RPCReliable, "back again", transport.WireWebRTC)
	t.Logf("heal → a new session delivered a message in %v", time.Since(healed).Round(time.Millisecond))
	if got := a.co.Counters().Sessions.Load(); got <= sessions {
		t.Fatalf("Counters().Sessions is %d, was %d: no new session", got, sessions)
	}
	c2, ok := a.co.Conn(b.id)
	if !ok || c2.ID() == conn.ID() {
		t.Fatalf("after the peer returned: Conn %v (ok %v), the dead one was %d", c2, ok, conn.ID())
	}
	sendOver(t, ctx, b, a, protocol.RPCReliable, "and back", transport.WireWebRTC)
}

// The peer's node closes while the network is cut, so nothing of its
// close reaches us: detection is the same, and a later Send to it fails
// with a no-route error instead of hanging.
func TestFaultPeerVanishesForGood(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	w := newFaultWorld(t)
	short := []transport.Option{transport.WithBackoff(transport.Backoff{Attempts: 2, Initial: 50 * time.Millisecond, Max: 100 * time.Millisecond})}
	a, b := ordered(w.node(t, ctx, vn.nets[0], faultNodeOpts{mgrOpts: short}), w.node(t, ctx, vn.nets[1], faultNodeOpts{mgrOpts: short}))
	conn := connectRTC(t, ctx, a, b)

	awaitDeath(t, ctx, vn, a, b, conn, b.close)

	sctx := within(t, ctx, 10*time.Second)
	start := time.Now()
	err := a.mgr.Send(sctx, transport.Actor(b.id), protocol.RPCReliable, []byte("anyone?"))
	var noRoute *transport.NoRouteError
	if !errors.As(err, &noRoute) {
		t.Fatalf("Send to a peer that is gone: %v, want a *transport.NoRouteError", err)
	}
	t.Logf("Send to the vanished peer failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
}

// A partition longer than ICEDisconnectedTimeout but shorter than the
// give-up bound is bridged by an ICE restart: the same wire comes back,
// and meanwhile the WebSocket wire carries the traffic.
func TestFaultICERestartRecovers(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	w := newFaultWorld(t)
	a, b := ordered(w.node(t, ctx, vn.nets[0], faultNodeOpts{websocket: true}), w.node(t, ctx, vn.nets[1], faultNodeOpts{websocket: true}))
	dest := transport.Actor(b.id)

	// Both wires up; WebRTC is preferred.
	if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	b.in.wait(t, ctx, 1)
	a.events.await(t, ctx, 0, "the WebRTC wire to be ready", isWireState(transport.WireWebRTC, transport.WireReady))
	a.events.await(t, ctx, 0, "the WebSocket wire to be ready", isWireState(transport.WireWebSocket, transport.WireReady))
	b.events.await(t, ctx, 0, "b to adopt the WebRTC wire", isWireState(transport.WireWebRTC, transport.WireReady))
	b.events.await(t, ctx, 0, "b to adopt the WebSocket wire", isWireState(transport.WireWebSocket, transport.WireReady))
	conn, ok := a.co.Conn(b.id)
	if !ok {
		t.Fatal("no WebRTC Conn after its wire became ready")
	}
	rtc, ws := poolWire(t, a, b.id, transport.WireWebRTC), poolWire(t, a, b.id, transport.WireWebSocket)
	if rtc.ID != conn.ID() {
		t.Fatalf("the pool's WebRTC wire is %d, the Coordinator's Conn %d", rtc.ID, conn.ID())
	}
	sendOver(t, ctx, a, b, protocol.RPCReliable, "over webrtc", transport.WireWebRTC)
	sessions := a.co.Counters().Sessions.Load() + b.co.Counters().Sessions.Load()
	completedBefore := a.co.Counters().ICERestartsCompleted.Load()
	fromA, fromB := a.events.mark(), b.events.mark()

	cut := vn.partition()
	started, _ := a.events.await(t, within(t, ctx, a.cfg.ICEDisconnectedTimeout+faultSlack), fromA,
		"an ICE restart", ofWire(transport.EventICERestartStarted, conn.ID()))
	if conn.Ready() {
		t.Fatal("the WebRTC wire reports Ready while the network is cut")
	}
	// While WebRTC restarts, every payload type takes the WebSocket wire.
	for _, pt := range protocol.DataPayloadTypes() {
		sendOver(t, ctx, a, b, pt, fmt.Sprintf("during the restart, %s", pt), transport.WireWebSocket)
	}

	healed := vn.heal()
	if healed.Sub(cut) >= giveUpBound(a.cfg) {
		t.Fatalf("the partition lasted %v, past the give-up bound %v: the test proves nothing (machine too slow?)", healed.Sub(cut), giveUpBound(a.cfg))
	}
	completed, _ := a.events.await(t, within(t, ctx, giveUpBound(a.cfg)+faultSlack), fromA,
		"the ICE restart to complete", ofWire(transport.EventICERestartCompleted, conn.ID()))
	waitReady(t, ctx, conn)
	t.Logf("partition → ICE restart started %v; partition lasted %v; heal → restart completed %v; outage %v",
		started.Time.Sub(cut).Round(time.Millisecond), healed.Sub(cut).Round(time.Millisecond),
		completed.Time.Sub(healed).Round(time.Millisecond), completed.Time.Sub(cut).Round(time.Millisecond))

	// After recovery the traffic is back on WebRTC, on the same wire.
	for _, pt := range protocol.DataPayloadTypes() {
		sendOver(t, ctx, a, b, pt, fmt.Sprintf("after the restart, %s", pt), transport.WireWebRTC)
	}
	if c2, ok := a.co.Conn(b.id); !ok || c2.ID() != conn.ID() {
		t.Fatalf("the WebRTC Conn after the restart is %v (ok %v), want wire %d", c2, ok, conn.ID())
	}
	if got := poolWire(t, a, b.id, transport.WireWebRTC); got.ID != rtc.ID || got.State != transport.WireReady {
		t.Fatalf("a's WebRTC wire is now %+v, was %+v", got, rtc)
	}
	if got := poolWire(t, a, b.id, transport.WireWebSocket); got.ID != ws.ID || got.State != transport.WireReady {
		t.Fatalf("a's WebSocket wire is now %+v, was %+v", got, ws)
	}
	if got := a.co.Counters().Sessions.Load() + b.co.Counters().Sessions.Load(); got != sessions {
		t.Fatalf("%d PeerConnections created in all, %d before the partition: the restart made new ones", got, sessions)
	}
	if a.co.Counters().ICERestartsCompleted.Load() <= completedBefore {
		t.Fatal("Counters().ICERestartsCompleted did not grow")
	}
	// Neither node saw a wire change state or a transport go: no
	// failure, no reconnect, the WebSocket wire up throughout.
	for _, n := range []struct {
		node *faultNode
		from int
	}{{a, fromA}, {b, fromB}} {
		for _, ev := range n.node.events.since(n.from) {
			switch ev.Kind {
			case transport.EventWireStateChanged, transport.EventTransportRemoved, transport.EventConnectionClosed,
				transport.EventDataChannelClosed, transport.EventReconnectStarted:
				t.Errorf("%s saw %s during the restart", n.node.id, ev)
			}
		}
		if m := n.node.events.missed(); m != 0 {
			t.Errorf("%s's event log missed %d events", n.node.id, m)
		}
	}
}

// The offer of an ICE restart is lost on its way through signaling, and
// the network comes back at once: the restart cannot complete, so the
// next one must be made and sent (the PeerConnection still has the lost
// offer pending) and bring the same wire back.
func TestFaultLostRestartOfferIsRetried(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	w := newFaultWorld(t)
	lossy := map[*signaling.Client]*lossySignaler{}
	o := faultNodeOpts{
		// A third restart gives the second one room: pion's checking
		// timer, not reset by a restart while checking, can fail the
		// second restart a second after it starts.
		config: func(c *webrtc.Config) { c.ICERestarts = 3 },
		signaler: func(c *signaling.Client) webrtc.Signaler {
			l := &lossySignaler{Client: c}
			lossy[c] = l
			return l
		},
	}
	a, b := ordered(w.node(t, ctx, vn.nets[0], o), w.node(t, ctx, vn.nets[1], o))
	conn := connectRTC(t, ctx, a, b)
	lossy[a.sig].drop.Store(1)
	fromA, fromB := a.events.mark(), b.events.mark()

	cut := vn.partition()
	_, i := a.events.await(t, within(t, ctx, a.cfg.ICEDisconnectedTimeout+faultSlack), fromA,
		"an ICE restart", ofWire(transport.EventICERestartStarted, conn.ID()))
	healed := vn.heal()
	a.events.await(t, within(t, ctx, giveUpBound(a.cfg)+faultSlack), i+1, "a second ICE restart", ofWire(transport.EventICERestartStarted, conn.ID()))
	completed, _ := a.events.await(t, within(t, ctx, giveUpBound(a.cfg)+faultSlack), fromA,
		"the ICE restart to complete", ofWire(transport.EventICERestartCompleted, conn.ID()))
	waitReady(t, ctx, conn)
	t.Logf("partition lasted %v; heal → restart completed %v", healed.Sub(cut).Round(time.Millisecond), completed.Time.Sub(healed).Round(time.Millisecond))
	if n := lossy[a.sig].dropped.Load(); n != 1 {
		t.Fatalf("%d restart offers lost, want 1", n)
	}
	sendOver(t, ctx, a, b, protocol.RPCReliable, "after the lost offer", transport.WireWebRTC)
	if c2, ok := a.co.Conn(b.id); !ok || c2.ID() != conn.ID() {
		t.Fatalf("the WebRTC Conn after the restart is %v (ok %v), want wire %d", c2, ok, conn.ID())
	}
	for _, n := range []struct {
		node *faultNode
		from int
	}{{a, fromA}, {b, fromB}} {
		for _, ev := range n.node.events.since(n.from) {
			if ev.Kind == transport.EventWireStateChanged || ev.Kind == transport.EventTransportRemoved {
				t.Errorf("%s saw %s", n.node.id, ev)
			}
		}
	}
}

// WebRTC blocked from the start: the first message goes over WebSocket;
// once the network lets WebRTC through, its wire connects (a connect
// retry, or the health checker once the retries are spent) and new
// messages take it.
func TestFaultFallbackToWebSocket(t *testing.T) {
	retry := transport.Backoff{Attempts: 1000, Initial: 100 * time.Millisecond, Max: 500 * time.Millisecond}
	spent := transport.Backoff{Attempts: 2, Initial: 100 * time.Millisecond, Max: 200 * time.Millisecond}
	t.Run("retry", func(t *testing.T) { testFallback(t, retry, 0, true) })
	t.Run("retry/peer-offers", func(t *testing.T) { testFallback(t, retry, 0, false) })
	t.Run("health-checker", func(t *testing.T) { testFallback(t, spent, 500*time.Millisecond, true) })
	t.Run("health-checker/peer-offers", func(t *testing.T) { testFallback(t, spent, 500*time.Millisecond, false) })
}

// testFallback runs the fallback test; the sender is the offerer of the
// pair, or the peer is (senderOffers false).
func testFallback(t *testing.T, bo transport.Backoff, healthEvery time.Duration, senderOffers bool) {
	const connectTimeout = 2 * time.Second
	ctx := guard(t)
	vn := newFaultNet(t, 2)
	vn.partition()
	w := newFaultWorld(t)
	o := faultNodeOpts{websocket: true, mgrOpts: []transport.Option{transport.WithConnectTimeout(connectTimeout), transport.WithBackoff(bo)}}
	if !senderOffers {
		// The peer's offering session of an abandoned attempt lives until
		// ICE gives up checking (disconnected + failed timeout) unless the
		// sender's next attempt replaces it. Make that long, as with the
		// default timers (30 s), so that the next attempt must replace it.
		o.config = func(c *webrtc.Config) { c.ICEFailedTimeout = 20 * time.Second }
	}
	a, b := ordered(w.node(t, ctx, vn.nets[0], o), w.node(t, ctx, vn.nets[1], o))
	if !senderOffers {
		a, b = b, a
	}
	if healthEvery > 0 {
		t.Cleanup(a.mgr.StartHealthChecker(healthEvery))
	}
	dest := transport.Actor(b.id)

	start := time.Now()
	sendOver(t, ctx, a, b, protocol.RPCReliable, "first, over the fallback", transport.WireWebSocket)
	t.Logf("first message delivered over WebSocket %v after the Send", time.Since(start).Round(time.Millisecond))
	if c, ok := a.co.Conn(b.id); ok && c.Ready() {
		t.Fatal("a WebRTC Conn is ready across the partition")
	}
	ws := poolWire(t, a, b.id, transport.WireWebSocket)
	if ws.State != transport.WireReady {
		t.Fatalf("the WebSocket wire is %s after carrying a message", ws.State)
	}
	// At least one WebRTC connect attempt failed on the partition.
	a.events.await(t, within(t, ctx, connectTimeout+faultSlack), 0, "a failed WebRTC connect attempt",
		isKind(transport.EventConnectAttemptFailed, transport.WireWebRTC))
	if healthEvery > 0 {
		// Retries spent: the wire fails, and the health checker asks for a
		// new WebRTC wire (the WebSocket one is left alone).
		bound := time.Duration(bo.Attempts)*(connectTimeout+bo.Max) + faultSlack
		_, i := a.events.await(t, within(t, ctx, bound), 0, "the WebRTC wire to fail",
			isWireState(transport.WireWebRTC, transport.WireFailed))
		a.events.await(t, within(t, ctx, healthEvery+faultSlack), i, "the health checker to reconnect",
			func(ev transport.Event) bool { return ev.Kind == transport.EventReconnectStarted })
	}
	if vn.dropped.Load() == 0 {
		t.Fatal("the partition dropped no packet: the WebRTC traffic is not on the virtual network")
	}

	from := a.events.mark()
	healed := vn.heal()
	// The attempt under way may still succeed; else the next one does,
	// after at most the rest of this attempt, a backoff delay (with its
	// ±20 % jitter) and a health check.
	bound := connectTimeout + bo.Max*6/5 + healthEvery + faultSlack
	ready, _ := a.events.await(t, within(t, ctx, bound), from, "the WebRTC wire to be ready",
		isWireState(transport.WireWebRTC, transport.WireReady))
	t.Logf("heal → WebRTC wire ready %v (bound %v)", ready.Time.Sub(healed).Round(time.Millisecond), bound)
	sendOver(t, ctx, a, b, protocol.RPCReliable, "now over webrtc", transport.WireWebRTC)
	sendOver(t, ctx, a, b, protocol.StreamLatencyFirst, "latency-first over webrtc", transport.WireWebRTC)
	if c, ok := a.co.Conn(b.id); !ok || c.ID() != ready.WireID {
		t.Fatalf("the Coordinator's Conn is %v (ok %v), the pool's ready WebRTC wire %d", c, ok, ready.WireID)
	}
	if got := poolWire(t, a, b.id, transport.WireWebSocket); got.ID != ws.ID || got.State != transport.WireReady {
		t.Fatalf("the WebSocket wire is now %+v, was %+v: it should be left alone", got, ws)
	}
	for _, ev := range a.events.since(0) {
		if ev.WireKind == transport.WireWebSocket && ev.Kind == transport.EventWireStateChanged && ev.State != transport.WireConnecting && ev.State != transport.WireReady {
			t.Errorf("the WebSocket wire went %s", ev.State)
		}
		if ev.Kind == transport.EventTransportRemoved {
			t.Errorf("the transport was removed: %s", ev)
		}
	}
	if !a.mgr.HasDest(dest) {
		t.Fatal("no transport to b")
	}
}
