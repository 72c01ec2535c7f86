package webrtc_test

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/webrtc"
)

// guard bounds a test that would hang if the code were broken.
func guard(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// testConfig is loopback-only with short ICE timers, so that failures are
// detected within seconds.
func testConfig() webrtc.Config {
	var log *slog.Logger
	if os.Getenv("ACTR_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return webrtc.Config{
		Logger:                 log,
		LoopbackOnly:           true,
		ICEDisconnectedTimeout: time.Second,
		ICEFailedTimeout:       2 * time.Second,
		ICEKeepaliveInterval:   200 * time.Millisecond,
	}
}

// startSignaling runs an embedded signaling server on 127.0.0.1 with an
// open realm 1 and returns its URL.
func startSignaling(t testing.TB) string {
	t.Helper()
	url, _ := startSignalingIssuer(t)
	return url
}

// startSignalingIssuer is startSignaling, also returning the issuer of
// the credentials the server hands out.
func startSignalingIssuer(t testing.TB) (string, *auth.Issuer) {
	t.Helper()
	s := signalingtest.Start(t, signaling.ServerConfig{})
	return s.URL, s.Issuer
}

// inbox records what a node's handler received.
type inbox struct {
	mu      sync.Mutex
	msgs    []transport.Message
	changed chan struct{}
}

func newInbox() *inbox { return &inbox{changed: make(chan struct{})} }

func (b *inbox) ServeMessage(_ context.Context, m transport.Message) {
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

// wait waits until n messages have arrived and returns them.
func (b *inbox) wait(t testing.TB, ctx context.Context, n int) []transport.Message {
	t.Helper()
	for {
		b.mu.Lock()
		if len(b.msgs) >= n {
			out := append([]transport.Message(nil), b.msgs...)
			b.mu.Unlock()
			return out
		}
		ch := b.changed
		have := len(b.msgs)
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for %d messages: %v (have %d)", n, ctx.Err(), have)
		}
	}
}

type testNode struct {
	id  protocol.ActorID
	sig *signaling.Client
	co  *webrtc.Coordinator
	mgr *transport.OutprocManager
	in  *inbox
	// events records the manager's events from the start, so a test can
	// wait for one that may already have happened (nil with noEvents).
	events *eventLog
}

type nodeOpts struct {
	cfg      *webrtc.Config // default testConfig()
	mgrOpts  []transport.Option
	noAccept bool
	// noEvents leaves events nil: no recording goroutine, no event log
	// growing with every connection (the memory benchmark).
	noEvents bool
	// handler, if set, replaces recording into the node's inbox; it gets
	// the node's manager.
	handler func(mgr *transport.OutprocManager) transport.Handler
}

var typeNode = signaling.ActorType{Manufacturer: "acme", Name: "node"}

// newNode registers with the signaling server at url and builds a node
// whose only wire kind is WebRTC.
func newNode(t testing.TB, ctx context.Context, url string, o nodeOpts) *testNode {
	t.Helper()
	sig, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, Type: typeNode, Realm: 1,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	if o.cfg != nil {
		cfg = *o.cfg
	}
	co, err := webrtc.NewCoordinator(sig, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := wire.NewDefaultWireBuilder(wire.Config{WebRTC: wire.WebRTCConfig{Enabled: true, Coordinator: co}})
	if err != nil {
		t.Fatal(err)
	}
	in := newInbox()
	var h transport.Handler = in
	var mgr *transport.OutprocManager
	if o.handler != nil {
		// Messages arrive only once the node accepts connections, after
		// mgr is set.
		h = transport.HandlerFunc(func(ctx context.Context, m transport.Message) { o.handler(mgr).ServeMessage(ctx, m) })
	}
	opts := append([]transport.Option{transport.WithHandler(h)}, o.mgrOpts...)
	mgr, err = transport.NewOutprocManager(sig.ID(), b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !o.noAccept {
		co.Accept(mgr)
	}
	n := &testNode{id: sig.ID(), sig: sig, co: co, mgr: mgr, in: in}
	if !o.noEvents {
		n.events = watchEvents(mgr)
	}
	t.Cleanup(n.close)
	return n
}

func (n *testNode) close() {
	_ = n.mgr.Close()
	_ = n.co.Close()
	_ = n.sig.Close()
	if n.events != nil {
		n.events.stop()
	}
}
