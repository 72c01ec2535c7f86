package webrtc_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// The fault tests put the nodes' WebRTC traffic on pion's virtual
// network: one router, each node its own vnet.Net with a static address.
// A chunk filter on the router drops every packet while the partition
// switch is on. Signaling and WebSocket stay on the real 127.0.0.1, so a
// partition cuts the WebRTC path only.

// faultNet is a virtual LAN whose WebRTC packets can be cut.
type faultNet struct {
	router  *vnet.Router
	nets    []*vnet.Net
	blocked atomic.Bool
	dropped atomic.Uint64 // packets dropped by the partition
	lost    atomic.Uint64 // packets dropped at random (netFaults.loss)
	passed  atomic.Uint64 // packets routed
}

// newFaultNet starts a router on 10.0.0.0/24 with n hosts, 10.0.0.1 …
// 10.0.0.n. The router stops at the end of the test, after the nodes
// (register it before them).
func newFaultNet(t testing.TB, n int) *faultNet { return newFaultNetWith(t, n, netFaults{}) }

// netFaults are the impairments of a faultNet besides partitions.
type netFaults struct {
	loss     float64       // fraction of packets dropped at random
	minDelay time.Duration // every packet is delayed this much …
	jitter   time.Duration // … plus up to this much more, at random
}

func newFaultNetWith(t testing.TB, n int, f netFaults) *faultNet {
	t.Helper()
	lf := logging.NewDefaultLoggerFactory()
	if os.Getenv("ACTR_TEST_LOG") == "" {
		lf.DefaultLogLevel = logging.LogLevelDisabled
	}
	r, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: lf, MinDelay: f.minDelay, MaxJitter: f.jitter})
	if err != nil {
		t.Fatal(err)
	}
	fn := &faultNet{router: r}
	for i := range n {
		nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{fmt.Sprintf("10.0.0.%d", i+1)}})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.AddNet(nw); err != nil {
			t.Fatal(err)
		}
		fn.nets = append(fn.nets, nw)
	}
	r.AddChunkFilter(func(vnet.Chunk) bool {
		if fn.blocked.Load() {
			fn.dropped.Add(1)
			return false
		}
		if f.loss > 0 && rand.Float64() < f.loss {
			fn.lost.Add(1)
			return false
		}
		fn.passed.Add(1)
		return true
	})
	if err := r.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Stop() })
	return fn
}

// partition cuts the network (every packet is dropped) until heal.
func (fn *faultNet) partition() time.Time {
	fn.blocked.Store(true)
	return time.Now()
}

func (fn *faultNet) heal() time.Time {
	fn.blocked.Store(false)
	return time.Now()
}

// faultConfig is testConfig (short ICE timers) on the virtual network.
func faultConfig(nw *vnet.Net) webrtc.Config {
	cfg := testConfig()
	cfg.Net = nw
	cfg.NetworkTypes = []pion.NetworkType{pion.NetworkTypeUDP4}
	return cfg
}

// faultWorld is a signaling server whose issuer the nodes' WebSocket
// gates trust, and a directory of the gates' URLs.
type faultWorld struct {
	url string
	ver *auth.Verifier

	mu   sync.Mutex
	gate map[protocol.ActorID]string
}

func newFaultWorld(t testing.TB) *faultWorld {
	t.Helper()
	url, iss := startSignalingIssuer(t)
	return faultWorldOn(url, iss)
}

// faultWorldOn is a faultWorld on the signaling server at url, whose
// credentials iss signs.
func faultWorldOn(url string, iss *auth.Issuer) *faultWorld {
	return &faultWorld{
		url:  url,
		ver:  auth.NewVerifier(map[uint32]ed25519.PublicKey{iss.KeyID(): iss.PublicKey()}),
		gate: map[protocol.ActorID]string{},
	}
}

func (w *faultWorld) resolve(_ context.Context, id protocol.ActorID) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gate[id], nil
}

// faultNode is a node whose WebRTC wire runs on a faultNet, optionally
// with a WebSocket wire (dialer and gate on 127.0.0.1) as well.
type faultNode struct {
	id     protocol.ActorID
	cfg    webrtc.Config
	sig    *signaling.Client
	co     *webrtc.Coordinator
	mgr    *transport.OutprocManager
	in     *inbox
	events *eventLog
	srv    *websocket.Server

	closeOnce sync.Once
}

type faultNodeOpts struct {
	handler   transport.Handler // default: record into in
	websocket bool              // also a WebSocket wire, and a gate
	mgrOpts   []transport.Option
	// config, when set, adjusts the node's webrtc.Config.
	config func(*webrtc.Config)
	// signaler, when set, wraps what the Coordinator signals through.
	signaler func(*signaling.Client) webrtc.Signaler
}

func (w *faultWorld) node(t testing.TB, ctx context.Context, nw *vnet.Net, o faultNodeOpts) *faultNode {
	t.Helper()
	sig, err := signaling.Dial(ctx, signaling.ClientConfig{URL: w.url, Type: signaling.ActorType{Manufacturer: "acme", Name: "faulty"},
		Realm: 1, ReconnectMin: 10 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n := &faultNode{id: sig.ID(), cfg: faultConfig(nw), sig: sig, in: newInbox()}
	t.Cleanup(n.close)
	if o.config != nil {
		o.config(&n.cfg)
	}
	var s webrtc.Signaler = sig
	if o.signaler != nil {
		s = o.signaler(sig)
	}
	if n.co, err = webrtc.NewCoordinator(s, n.cfg); err != nil {
		t.Fatal(err)
	}
	wc := wire.Config{WebRTC: wire.WebRTCConfig{Enabled: true, Coordinator: n.co}}
	if o.websocket {
		d := &websocket.Dialer{Local: n.id, Prove: func(_ context.Context, audience string) (*protocol.AIdCredential, *protocol.ProofOfPossession, error) {
			return sig.Prove(audience)
		}}
		wc.WebSocket = wire.WebSocketConfig{Enabled: true, Resolve: w.resolve, Dialer: d}
	}
	b, err := wire.NewDefaultWireBuilder(wc)
	if err != nil {
		t.Fatal(err)
	}
	var h transport.Handler = n.in
	if o.handler != nil {
		h = o.handler
	}
	opts := append([]transport.Option{transport.WithHandler(h)}, o.mgrOpts...)
	if n.mgr, err = transport.NewOutprocManager(n.id, b, opts...); err != nil {
		t.Fatal(err)
	}
	n.events = watchEvents(n.mgr)
	n.co.Accept(n.mgr)
	if o.websocket {
		g, err := websocket.NewGate(websocket.GateConfig{Acceptor: n.mgr, Verifier: w.ver})
		if err != nil {
			t.Fatal(err)
		}
		if n.srv, err = g.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		w.mu.Lock()
		w.gate[n.id] = n.srv.URL("/actr/" + n.id.String())
		w.mu.Unlock()
	}
	return n
}

// close closes the node: gate, manager, coordinator, signaling client.
func (n *faultNode) close() {
	n.closeOnce.Do(func() {
		if n.srv != nil {
			_ = n.srv.Close()
		}
		if n.mgr != nil {
			_ = n.mgr.Close()
		}
		if n.events != nil {
			n.events.stop()
		}
		if n.co != nil {
			_ = n.co.Close()
		}
		_ = n.sig.Close()
	})
}

// ordered returns the two nodes offerer first: the signaling service
// makes the larger ActorID the offerer (actr's rule; neither asked to
// answer only), and only the offerer restarts ICE.
func ordered(x, y *faultNode) (offerer, answerer *faultNode) {
	if x.id.Compare(y.id) > 0 {
		return x, y
	}
	return y, x
}

// lossySignaler loses the next drop ICE restart offers it is asked to
// send (as a relay lost with a signaling connection would be).
type lossySignaler struct {
	*signaling.Client
	drop    atomic.Int32
	dropped atomic.Int32
}

func (l *lossySignaler) SendSessionDescription(target protocol.ActorID, sd *protocol.SessionDescription) error {
	if sd.GetType() == protocol.SessionDescription_ICE_RESTART_OFFER && l.drop.Add(-1) >= 0 {
		l.dropped.Add(1)
		return nil
	}
	return l.Client.SendSessionDescription(target, sd)
}

// giveUpBound is how long the offerer may take, from the moment the peer
// stops answering, to declare its WebRTC wire dead: ICE notices the
// silence after ICEDisconnectedTimeout, then each of the ICERestarts
// restarts waits up to ICEFailedTimeout, and the last timeout ends it.
// (Config's ICEFailedTimeout × (ICERestarts+1) covers the same span when
// the disconnected timer is shorter than the failed one.)
func giveUpBound(cfg webrtc.Config) time.Duration {
	restarts := restartsOf(cfg)
	return cfg.ICEDisconnectedTimeout + time.Duration(restarts+1)*cfg.ICEFailedTimeout
}

// eventLog records every event of a manager's bus, in order.
type eventLog struct {
	sub     *transport.Subscription
	done    chan struct{}
	mu      sync.Mutex
	evs     []transport.Event
	changed chan struct{}
}

func watchEvents(m *transport.OutprocManager) *eventLog {
	l := &eventLog{sub: m.Subscribe(8192), done: make(chan struct{}), changed: make(chan struct{})}
	go func() {
		defer close(l.done)
		for ev := range l.sub.Events() {
			l.mu.Lock()
			l.evs = append(l.evs, ev)
			close(l.changed)
			l.changed = make(chan struct{})
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *eventLog) stop() {
	l.sub.Close()
	<-l.done
}

// mark returns the index the next event will have.
func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.evs)
}

// since returns the events from index from on.
func (l *eventLog) since(from int) []transport.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]transport.Event(nil), l.evs[min(from, len(l.evs)):]...)
}

// await waits for the first event at index from or later that matches,
// and returns it with its index. It fails the test when ctx ends.
func (l *eventLog) await(t testing.TB, ctx context.Context, from int, what string, match func(transport.Event) bool) (transport.Event, int) {
	t.Helper()
	for i := from; ; {
		l.mu.Lock()
		for ; i < len(l.evs); i++ {
			if ev := l.evs[i]; match(ev) {
				l.mu.Unlock()
				return ev, i
			}
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v; events since #%d:\n%s", what, context.Cause(ctx), from, formatEvents(l.since(from)))
		}
	}
}

// missed reports whether the log lost events (its buffer overflowed).
func (l *eventLog) missed() uint64 { return l.sub.Dropped() }

func formatEvents(evs []transport.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  %s %s\n", ev.Time.Format("15:04:05.000"), ev)
	}
	return b.String()
}

func isKind(k transport.EventKind, wk transport.WireKind) func(transport.Event) bool {
	return func(ev transport.Event) bool { return ev.Kind == k && ev.WireKind == wk }
}

// ofWire matches the events of kind k about wire id.
func ofWire(k transport.EventKind, id transport.WireID) func(transport.Event) bool {
	return func(ev transport.Event) bool { return ev.Kind == k && ev.WireID == id }
}

func isWireState(wk transport.WireKind, st transport.WireState) func(transport.Event) bool {
	return func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.WireKind == wk && ev.State == st
	}
}

// waitReady waits, without polling, until c reports Ready.
func waitReady(t testing.TB, ctx context.Context, c *webrtc.Conn) {
	t.Helper()
	for {
		ch := c.ReadyChanged() // before Ready: a change in between closes ch
		if c.Ready() {
			return
		}
		select {
		case <-ch:
		case <-c.Done():
			t.Fatalf("the WebRTC wire died while waiting for it to be ready: %v", c.Err())
		case <-ctx.Done():
			t.Fatalf("waiting for the WebRTC wire to be ready: %v", context.Cause(ctx))
		}
	}
}

// within returns a ctx that ends after d (or with parent).
func within(t testing.TB, parent context.Context, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeoutCause(parent, d, fmt.Errorf("not within %v", d))
	t.Cleanup(cancel)
	return ctx
}

// poolWire returns the wire of kind k in n's pool to dest.
func poolWire(t testing.TB, n *faultNode, dest protocol.ActorID, k transport.WireKind) transport.WireInfo {
	t.Helper()
	tr, ok := n.mgr.Transport(transport.Actor(dest))
	if !ok {
		t.Fatalf("%s has no transport to %s", n.id, dest)
	}
	var found []transport.WireInfo
	for _, w := range tr.Pool().Wires() {
		if w.Kind == k {
			found = append(found, w)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s's pool to %s has %d %s wires: %+v", n.id, dest, len(found), k, tr.Pool().Wires())
	}
	return found[0]
}

// restartsOf is cfg.ICERestarts with its default applied.
func restartsOf(cfg webrtc.Config) int {
	switch {
	case cfg.ICERestarts == 0:
		return 2
	case cfg.ICERestarts < 0:
		return 0
	}
	return cfg.ICERestarts
}
