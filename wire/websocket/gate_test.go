package websocket_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

func TestGateRefusesBadCredentialsAndDeliversNothing(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	forger, err := auth.GenerateIssuer(7) // same key id, other key
	if err != nil {
		t.Fatal(err)
	}
	tampered := w.cred(t, idA)
	tampered.Claims = append([]byte(nil), tampered.Claims...)
	tampered.Claims[len(tampered.Claims)-1] ^= 0x01 // inside the signed claims
	otherRealm := protocol.ActorID{Realm: 2, Serial: 1, Manufacturer: "acme", Name: "alice"}
	expired, _, err := w.iss.IssueAt(idA, time.Now().Add(-2*time.Hour), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	forged, _, err := forger.Issue(idA, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	unknownKey, err := auth.GenerateIssuer(99)
	if err != nil {
		t.Fatal(err)
	}
	unknown, _, _ := unknownKey.Issue(idA, time.Hour)
	someoneElse := w.cred(t, protocol.ActorID{Realm: 1, Serial: 3, Manufacturer: "acme", Name: "mallory"})

	for _, tc := range []struct {
		name   string
		from   protocol.ActorID
		cred   *protocol.AIdCredential
		status int
	}{
		{"no credential", idA, nil, http.StatusUnauthorized},
		{"expired", idA, expired, http.StatusUnauthorized},
		{"wrong key", idA, forged, http.StatusUnauthorized},
		{"unknown key id", idA, unknown, http.StatusUnauthorized},
		{"tampered", idA, tampered, http.StatusUnauthorized},
		{"another actor's credential", idA, someoneElse, http.StatusUnauthorized},
		{"wrong realm", otherRealm, w.cred(t, otherRealm), http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &websocket.Dialer{Local: tc.from, Credential: websocket.StaticCredential(tc.cred)}
			c := d.Conn(b.server.URL("/actr/"+idB.String()), idB, transport.Inbound(nil))
			err := c.Connect(ctx)
			var he *websocket.HandshakeError
			if !errors.As(err, &he) || he.Status != tc.status || !errors.Is(err, websocket.ErrUnauthorized) || !errors.Is(err, transport.ErrRefused) {
				t.Fatalf("Connect: %v, want a HandshakeError with status %d, matching ErrUnauthorized and transport.ErrRefused", err, tc.status)
			}
			_ = c.Close()
		})
	}
	if got := b.gate.Counters().Accepted.Load(); got != 0 {
		t.Fatalf("gate accepted %d connections", got)
	}
	if got := b.gate.Counters().RejectedAuth.Load() + b.gate.Counters().RejectedRealm.Load(); got != 7 {
		t.Fatalf("gate counted %d refusals, want 7", got)
	}
	if b.in.len() != 0 || b.mgr.DestCount() != 0 {
		t.Fatal("a refused caller got something delivered or a transport made")
	}
}

func TestGateRefusesWrongTargetAndPlainHTTP(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	other := protocol.ActorID{Realm: 1, Serial: 9, Manufacturer: "acme", Name: "carol"}
	d := &websocket.Dialer{Local: idA, Credential: websocket.StaticCredential(w.cred(t, idA))}
	c := d.Conn(b.server.URL("/"), other, nil)
	var he *websocket.HandshakeError
	if err := c.Connect(ctx); !errors.As(err, &he) || he.Status != http.StatusNotFound || !errors.Is(err, transport.ErrRefused) {
		t.Fatalf("Connect to the wrong actor: %v, want 404, matching transport.ErrRefused", err)
	}
	_ = c.Close()
	resp, err := http.Get("http" + b.server.URL("/")[2:])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET: %d, want 426", resp.StatusCode)
	}
}

// A refusal the same credential cannot change is not retried: the Send
// fails after one attempt, not after the backoff (issue 20, bug 5).
func TestRefusedDialIsNotRetried(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	otherRealm := protocol.ActorID{Realm: 2, Serial: 1, Manufacturer: "acme", Name: "alice"}
	a := w.node(t, otherRealm, nodeOpts{noListen: true, mgrOpts: []transport.Option{
		transport.WithBackoff(transport.Backoff{Attempts: 5, Initial: time.Hour})}})
	err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, []byte("x"))
	var ce *transport.ConnectError
	if !errors.Is(err, transport.ErrRefused) || !errors.As(err, &ce) || ce.Attempts != 1 {
		t.Fatalf("Send from a realm the gate does not admit: %v, want ErrRefused after one attempt", err)
	}
	if got := b.gate.Counters().RejectedRealm.Load(); got != 1 {
		t.Fatalf("the gate refused %d times, want 1", got)
	}
}

func TestGateConnectionLimit(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{maxConns: 1})
	a := w.node(t, idA, nodeOpts{noListen: true})
	if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, []byte("x")); err != nil {
		t.Fatal(err)
	}
	c3 := protocol.ActorID{Realm: 1, Serial: 3, Manufacturer: "acme", Name: "carol"}
	d := &websocket.Dialer{Local: c3, Credential: websocket.StaticCredential(w.cred(t, c3))}
	c := d.Conn(b.server.URL("/"), idB, nil)
	var he *websocket.HandshakeError
	if err := c.Connect(ctx); !errors.As(err, &he) || he.Status != http.StatusServiceUnavailable {
		t.Fatalf("second caller: %v, want 503", err)
	}
	_ = c.Close()
	// When the first connection goes, its slot is free again.
	if err := a.mgr.CloseTransport(ctx, transport.Actor(idB)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
	c = d.Conn(b.server.URL("/"), idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("after the first left: %v", err)
	}
	_ = c.Close()
}

// One address cannot hold more than MaxConnsPerIP connections, even
// with slots to spare; when one closes, the address may connect again.
func TestGateConnectionLimitPerIP(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{maxConns: 10, maxPerIP: 2})
	var conns []*websocket.Conn
	for i := range 3 {
		id := protocol.ActorID{Realm: 1, Serial: uint64(10 + i), Manufacturer: "acme", Name: "caller"}
		d := &websocket.Dialer{Local: id, Credential: websocket.StaticCredential(w.cred(t, id))}
		c := d.Conn(b.server.URL("/"), idB, nil)
		err := c.Connect(ctx)
		if i < 2 {
			if err != nil {
				t.Fatalf("caller %d: %v", i, err)
			}
			conns = append(conns, c)
			continue
		}
		var he *websocket.HandshakeError
		if !errors.As(err, &he) || he.Status != http.StatusTooManyRequests {
			t.Fatalf("third caller from the same address: %v, want 429", err)
		}
		_ = c.Close()
	}
	if n := b.gate.Counters().RejectedPerIP.Load(); n != 1 {
		t.Fatalf("RejectedPerIP = %d, want 1", n)
	}
	_ = conns[0].Close()
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 1 }, b.mgr)
	id := protocol.ActorID{Realm: 1, Serial: 20, Manufacturer: "acme", Name: "caller"}
	d := &websocket.Dialer{Local: id, Credential: websocket.StaticCredential(w.cred(t, id))}
	c := d.Conn(b.server.URL("/"), idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("after one left: %v", err)
	}
	_ = c.Close()
	_ = conns[1].Close()
}

// waitFor waits, on m's events, until cond holds.
func waitFor(t *testing.T, ctx context.Context, cond func() bool, m *transport.OutprocManager) {
	t.Helper()
	sub := m.Subscribe(64)
	defer sub.Close()
	for !cond() {
		select {
		case <-sub.Events():
		case <-ctx.Done():
			t.Fatalf("condition never held: %v", ctx.Err())
		}
	}
}

// rawDial connects to n's gate as idA with a valid credential, bypassing
// the wire, so a test can send arbitrary messages.
func rawDial(t *testing.T, ctx context.Context, w *world, n *testNode) *cws.Conn {
	t.Helper()
	h := http.Header{}
	h.Set(websocket.HeaderSourceID, idA.String())
	h.Set(websocket.HeaderCredential, auth.EncodeHeader(w.cred(t, idA)))
	c, _, err := cws.Dial(ctx, n.server.URL("/"), &cws.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// closeCode reads from c until the peer closes it and returns the code.
func closeCode(ctx context.Context, c *cws.Conn) cws.StatusCode {
	for {
		if _, _, err := c.Read(ctx); err != nil {
			return cws.CloseStatus(err)
		}
	}
}

func TestGateRefusesMalformedFramesWithoutDelivering(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{gateOpts: websocket.Options{MaxMessageSize: 1024}})
	cnt := b.gate.Counters()
	for _, tc := range []struct {
		name    string
		typ     cws.MessageType
		msg     []byte
		code    cws.StatusCode
		counter func() uint64
	}{
		{"shorter than 5 bytes", cws.MessageBinary, []byte{0, 0, 0}, cws.StatusProtocolError, cnt.ShortFrames.Load},
		{"length says more", cws.MessageBinary, append(websocket.AppendHeader(nil, 0, 10), 1, 2), cws.StatusProtocolError, cnt.LengthMismatches.Load},
		{"length says less", cws.MessageBinary, append(websocket.AppendHeader(nil, 0, 1), 1, 2), cws.StatusProtocolError, cnt.LengthMismatches.Load},
		{"over the maximum", cws.MessageBinary, websocket.AppendFrame(nil, 0, make([]byte, 1025)), cws.StatusMessageTooBig, cnt.OversizeFrames.Load},
		{"text message", cws.MessageText, []byte("hello"), cws.StatusUnsupportedData, cnt.TextMessages.Load},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := tc.counter()
			c := rawDial(t, ctx, w, b)
			if err := c.Write(ctx, tc.typ, tc.msg); err != nil {
				t.Fatal(err)
			}
			if code := closeCode(ctx, c); code != tc.code {
				t.Fatalf("close code %v, want %v", code, tc.code)
			}
			if tc.counter() != before+1 {
				t.Fatal("not counted")
			}
		})
	}
	// A payload type without a data lane is dropped, and the connection
	// survives: the next good frame is delivered.
	c := rawDial(t, ctx, w, b)
	if err := c.Write(ctx, cws.MessageBinary, websocket.AppendFrame(nil, protocol.MediaRTP, []byte("rtp"))); err != nil {
		t.Fatal(err)
	}
	if err := c.Write(ctx, cws.MessageBinary, websocket.AppendFrame(nil, protocol.RPCReliable, []byte("good"))); err != nil {
		t.Fatal(err)
	}
	got := b.in.wait(t, ctx, 1)
	if len(got) != 1 || string(got[0].Data) != "good" {
		t.Fatalf("delivered %+v; only the good frame may be", got)
	}
	if cnt.UnknownTypeFrames.Load() != 1 {
		t.Fatal("the unknown-type frame was not counted")
	}
}

// The client's reader refuses what a broken gate sends, the same way.
func TestClientRefusesMalformedFramesFromGate(t *testing.T) {
	ctx := guard(t)
	for _, tc := range []struct {
		name string
		typ  cws.MessageType
		msg  []byte
	}{
		{"short", cws.MessageBinary, []byte{1}},
		{"length", cws.MessageBinary, append(websocket.AppendHeader(nil, 1, 4), 'x')},
		{"text", cws.MessageText, []byte("{}")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRogueGate(t, func(ctx context.Context, c *cws.Conn) {
				_ = c.Write(ctx, tc.typ, tc.msg)
				_, _, _ = c.Read(ctx) // until the client closes
			})
			in := newInbox()
			inbound := transport.Inbound(inboundFunc(func(_ context.Context, m transport.Message) error { in.ServeMessage(ctx, m); return nil }))
			d := &websocket.Dialer{Local: idA}
			c := d.Conn(srv, idB, inbound)
			if err := c.Connect(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case <-c.Done():
			case <-ctx.Done():
				t.Fatal("the client kept a connection that sent a bad frame")
			}
			_ = c.Close()
			if d.Counters().BadFrames() != 1 || in.len() != 0 {
				t.Fatalf("bad frames %d, delivered %d", d.Counters().BadFrames(), in.len())
			}
			if !errors.Is(c.Err(), transport.ErrWireClosed) {
				t.Fatalf("Err = %v", c.Err())
			}
		})
	}
}

type inboundFunc func(context.Context, transport.Message) error

func (f inboundFunc) Deliver(ctx context.Context, m transport.Message) error { return f(ctx, m) }

// A peer that stops reading stops answering pings: the keepalive declares
// it dead and the wire's Done closes.
func TestKeepaliveClosesUnresponsivePeer(t *testing.T) {
	ctx := guard(t)
	release := make(chan struct{})
	srv := newRogueGate(t, func(ctx context.Context, c *cws.Conn) {
		<-release // never reads: pings go unanswered
	})
	defer close(release)
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: 20 * time.Millisecond, PingTimeout: 50 * time.Millisecond}}
	c := d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("keepalive never declared the silent peer dead")
	}
	if !errors.Is(c.Err(), websocket.ErrPeerUnresponsive) || d.Counters().PingFailures.Load() != 1 {
		t.Fatalf("Err = %v, ping failures %d", c.Err(), d.Counters().PingFailures.Load())
	}
	_ = c.Close()
}

// A peer that answers keeps the connection alive across many pings, each
// run by a timer between which no goroutine waits; Close stops them
// (goleak in TestMain).
// pingedConn connects to a peer that reads (and so answers pings), with
// a keepalive every 5 ms.
func pingedConn(t *testing.T, ctx context.Context) (*websocket.Dialer, *websocket.Conn) {
	t.Helper()
	srv := newRogueGate(t, func(ctx context.Context, c *cws.Conn) {
		for { // reading answers pings
			if _, _, err := c.Read(ctx); err != nil {
				return
			}
		}
	})
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: 5 * time.Millisecond, PingTimeout: 5 * time.Second}}
	c := d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	return d, c
}

// waitPings waits until d's connections have had n pings answered.
func waitPings(t *testing.T, ctx context.Context, d *websocket.Dialer, c *websocket.Conn, n uint64) {
	t.Helper()
	for d.Counters().Pings.Load() < n {
		select {
		case <-c.Done():
			t.Fatalf("the connection died: %v", c.Err())
		case <-ctx.Done():
			t.Fatalf("%d of %d pings answered", d.Counters().Pings.Load(), n)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestKeepalivePingsAnsweringPeer(t *testing.T) {
	ctx := guard(t)
	d, c := pingedConn(t, ctx)
	waitPings(t, ctx, d, c, 20)
	if d.Counters().PingFailures.Load() != 0 || !c.Ready() {
		t.Fatalf("ping failures %d, ready %v", d.Counters().PingFailures.Load(), c.Ready())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// A connection that is not writing holds no write buffer: small frames
// wait in a pooled buffer that goes back to the pool once it is written
// (writebehind.go), and the frame buffer of the library's path is dropped
// by the keepalive after a whole interval with nothing sent.
func TestIdleConnectionDropsItsFrameBuffer(t *testing.T) {
	ctx := guard(t)
	d, c := pingedConn(t, ctx)
	defer c.Close()
	lane, _ := c.Lane(protocol.RPCReliable)
	for range 100 {
		if err := lane.Send(ctx, make([]byte, 1024)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitPings(t, ctx, d, c, d.Counters().Pings.Load()+2)
	if websocket.FrameBufferHeld(c) {
		t.Fatal("an idle connection kept a write buffer past two keepalive pings")
	}
}

// A Send waiting behind a frame stuck on a peer that does not read returns
// at its own deadline; the connection is not torn down by it.
func TestSendWaitingForWriterHonoursCtx(t *testing.T) {
	ctx := guard(t)
	release := make(chan struct{})
	srv := newRogueGate(t, func(ctx context.Context, c *cws.Conn) { <-release })
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: -1}}
	c := d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	lane, _ := c.Lane(protocol.StreamReliable)
	stuck := make(chan error, 1)
	go func() { stuck <- lane.Send(ctx, make([]byte, 8<<20)) }() // more than the socket buffers hold
	// Once that Send holds the writer (it never lets go: the peer does not
	// read), a Send with a short deadline waits behind it and times out.
	// (Were the short one stuck mid-write itself, its deadline would close
	// the connection: TestHalfOpenPeerSendBlocksToCtxMemoryBounded.)
	for !websocket.WriterHeld(c) {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the big Send never took the writer")
		}
	}
	// Small frames are taken into the connection's pending buffer until
	// it is full; the Send that finds no room waits, and returns at its
	// deadline, its frame not taken.
	var err error
	taken := 0
	for ; taken <= 1000; taken++ {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		err = lane.Send(sctx, make([]byte, 1024))
		cancel()
		if err != nil {
			break
		}
	}
	if taken > 64 {
		t.Fatalf("%d small frames taken behind a stuck one: the pending buffer has no bound", taken)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, websocket.ErrPeerStalled) {
		t.Fatalf("a Send waiting behind a stuck frame: %v, want its deadline", err)
	}
	if !c.Ready() {
		t.Fatal("a Send's deadline tore the connection down")
	}
	close(release) // the rogue gate's handler returns and its connection closes
	if err := <-stuck; !errors.Is(err, transport.ErrLaneClosed) {
		t.Fatalf("stuck send: %v", err)
	}
	_ = c.Close()
}

// A caller that opens a TCP connection and never finishes its handshake
// is cut off after the gate's handshake timeout.
func TestGateHandshakeTimeout(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	_ = b
	g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: b.mgr, Verifier: w.ver, HandshakeTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n")); err != nil { // and never the blank line
		t.Fatal(err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetReadDeadline(dl)
	}
	buf := make([]byte, 512)
	for {
		if _, err := conn.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the gate kept a stalled handshake open")
			}
			return // closed by the gate
		}
	}
}

// slowAcceptor holds every adoption until release is closed, and records
// when the manager has the connection.
type slowAcceptor struct {
	*transport.OutprocManager
	release chan struct{}
	adopted atomic.Bool
}

func (s *slowAcceptor) Adopt(ctx context.Context, dest transport.Dest, w transport.Wire) error {
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	err := s.OutprocManager.Adopt(ctx, dest, w)
	s.adopted.Store(err == nil)
	return err
}

// The gate delivers nothing from a connection before the manager has
// adopted it, so a handler's reply to an inbound-only caller always finds
// the connection it came on.
func TestGateDeliversOnlyAfterAdoption(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	acc := &slowAcceptor{release: make(chan struct{})}
	const rounds = 100
	types := protocol.DataPayloadTypes()
	total := int32(rounds * len(types))
	var early, handled atomic.Int32
	allHandled := make(chan struct{})
	b := w.node(t, idB, nodeOpts{noListen: true, handler: transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if !acc.adopted.Load() {
			early.Add(1)
		}
		if handled.Add(1) == total {
			close(allHandled)
		}
		if err := acc.Send(ctx, transport.Actor(m.From), m.Type, m.Data); err != nil && ctx.Err() == nil {
			t.Errorf("echo to %s: %v", m.From, err)
		}
	})})
	acc.OutprocManager = b.mgr
	g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: acc, Verifier: w.ver})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w.dir.set(idB, srv.URL("/actr/"+idB.String()))

	a := w.node(t, idA, nodeOpts{noListen: true})
	// Each Send returns once its frame is on the socket, while b's manager
	// has yet to adopt the connection; many give a gate that delivered
	// early every chance to show it.
	for range rounds {
		for _, pt := range types {
			if err := a.mgr.Send(ctx, transport.Actor(idB), pt, []byte(pt.String())); err != nil {
				t.Fatalf("Send %s: %v", pt, err)
			}
		}
	}
	if acc.adopted.Load() {
		t.Fatal("adopted before release")
	}
	close(acc.release)
	select {
	case <-allHandled:
	case <-ctx.Done():
		t.Fatalf("b handled %d of %d messages", handled.Load(), total)
	}
	if n := early.Load(); n != 0 {
		t.Fatalf("%d of %d messages reached the handler before the connection was adopted", n, total)
	}
	a.in.wait(t, ctx, int(total))
}
