package websocket_test

import (
	"context"
	"crypto/ed25519"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/websocket"
)

var (
	idA = protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "alice"}
	idB = protocol.ActorID{Realm: 1, Serial: 2, Manufacturer: "acme", Name: "bob"}
)

// guard bounds a test that would hang if the code were broken.
func guard(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// directory maps actors to their gate URLs; an actor without an entry has
// no WebSocket endpoint (it is inbound-only).
type directory struct {
	mu   sync.Mutex
	urls map[protocol.ActorID]string
}

func (d *directory) set(id protocol.ActorID, url string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.urls == nil {
		d.urls = map[protocol.ActorID]string{}
	}
	d.urls[id] = url
}

func (d *directory) resolve(_ context.Context, id protocol.ActorID) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.urls[id], nil
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

func (b *inbox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
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
	id     protocol.ActorID
	mgr    *transport.OutprocManager
	gate   *websocket.Gate
	server *websocket.Server
	dialer *websocket.Dialer
	in     *inbox
}

type nodeOpts struct {
	handler   transport.Handler // default: record into in
	noListen  bool              // inbound-only: no gate, no directory entry
	gateOpts  websocket.Options
	dialOpts  websocket.Options
	credFor   func(protocol.ActorID) *protocol.AIdCredential // default: a valid one
	mgrOpts   []transport.Option
	verifier  *auth.Verifier
	maxConns  int
	maxPerIP  int
	realmOpen bool
}

// world is an issuer, a verifier and a directory shared by test nodes.
type world struct {
	iss *auth.Issuer
	ver *auth.Verifier
	dir *directory
}

func newWorld(t testing.TB) *world {
	t.Helper()
	iss, err := auth.GenerateIssuer(7)
	if err != nil {
		t.Fatal(err)
	}
	return &world{iss: iss, ver: auth.NewVerifier(map[uint32]ed25519.PublicKey{7: iss.PublicKey()}), dir: &directory{}}
}

func (w *world) cred(t testing.TB, id protocol.ActorID) *protocol.AIdCredential {
	t.Helper()
	c, _, err := w.iss.Issue(id, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (w *world) node(t testing.TB, id protocol.ActorID, o nodeOpts) *testNode {
	t.Helper()
	n := &testNode{id: id, in: newInbox()}
	cred := w.cred(t, id)
	if o.credFor != nil {
		cred = o.credFor(id)
	}
	n.dialer = &websocket.Dialer{Local: id, Credential: websocket.StaticCredential(cred), Options: o.dialOpts}
	b, err := wire.NewDefaultWireBuilder(wire.Config{WebSocket: wire.WebSocketConfig{Enabled: true, Resolve: w.dir.resolve, Dialer: n.dialer}})
	if err != nil {
		t.Fatal(err)
	}
	var h transport.Handler = n.in
	if o.handler != nil {
		h = o.handler
	}
	opts := append([]transport.Option{transport.WithHandler(h),
		transport.WithBackoff(transport.Backoff{Attempts: 3, Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond})}, o.mgrOpts...)
	n.mgr, err = transport.NewOutprocManager(id, b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.mgr.Close() })
	if o.noListen {
		return n
	}
	ver := w.ver
	if o.verifier != nil {
		ver = o.verifier
	}
	cfg := websocket.GateConfig{AllowBearer: true, Acceptor: n.mgr, Verifier: ver, Options: o.gateOpts, MaxConns: o.maxConns, MaxConnsPerIP: o.maxPerIP}
	if o.realmOpen {
		cfg.RealmPolicy = func(protocol.ActorID, protocol.ActorID) error { return nil }
	}
	n.gate, err = websocket.NewGate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n.server, err = n.gate.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.server.Close() }) // runs before the manager's Close
	w.dir.set(id, n.server.URL("/actr/"+id.String()))
	return n
}
