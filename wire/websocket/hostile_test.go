package websocket_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// Tests of issue 19's attacks on the gate, each by a peer that holds a
// valid credential.

// attacker returns the i-th attacking actor of realm 1.
func attacker(i int) protocol.ActorID {
	return protocol.ActorID{Realm: 1, Serial: uint64(1000 + i), Manufacturer: "evil", Name: "attacker"}
}

// rawDialAs connects to n's gate at path as id with a valid credential,
// bypassing the wire, so a test can send (or not read) whatever it likes.
func rawDialAs(t *testing.T, ctx context.Context, w *world, n *testNode, id protocol.ActorID, path string) *cws.Conn {
	t.Helper()
	h := http.Header{}
	h.Set(websocket.HeaderSourceID, id.String())
	h.Set(websocket.HeaderCredential, auth.EncodeHeader(w.cred(t, id)))
	c, _, err := cws.Dial(ctx, n.server.URL(path), &cws.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

// rawUpgrade upgrades a TCP connection to n's gate at path as id by hand,
// so that a test can write WebSocket frames no library would: a frame
// whose header announces more than is ever sent.
func rawUpgrade(t *testing.T, ctx context.Context, w *world, srv *websocket.Server, id protocol.ActorID, path string) net.Conn {
	t.Helper()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	req := "GET " + path + " HTTP/1.1\r\nHost: gate\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
		websocket.HeaderSourceID + ": " + id.String() + "\r\n" +
		websocket.HeaderCredential + ": " + auth.EncodeHeader(w.cred(t, id)) + "\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %s", resp.Status)
	}
	if br.Buffered() != 0 {
		t.Fatal("the gate wrote after its 101")
	}
	return c
}

// wsHeader is the header of a final, binary, client-to-server WebSocket
// frame announcing n payload bytes, with a zero mask key (so the payload
// goes as is).
func wsHeader(n int) []byte {
	return binary.BigEndian.AppendUint64([]byte{0x82, 0x80 | 127}, uint64(n))
}

// waitCond waits, on b's events and at most every few milliseconds, until
// cond holds (gauges change without an event of their own).
func waitCond(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		}
	}
}

// openFDs counts the process's open file descriptors (-1 where /proc
// does not say).
func openFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// checkFDs reports an fd left open since before (the count openFDs gave).
func checkFDs(t *testing.T, before int) {
	t.Helper()
	if after := openFDs(); after != before {
		t.Errorf("%d file descriptors open after the attack, %d before", after, before)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// H3: frame headers announcing 16 MiB followed by a few bytes cost the
// gate what arrived, not what was announced; the bytes held are counted
// against the gate's budget, and a connection whose frame would go over
// it is closed.
func TestHostileH3AnnouncedLengthNotAllocated(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{maxPerIP: -1})
	cnt := b.gate.Counters()
	const conns, announced = 64, 16 << 20
	fds := openFDs()
	before := heapAlloc()
	var attackers []net.Conn
	for i := range conns {
		c := rawUpgrade(t, ctx, w, b.server, attacker(i), "/actr/"+idB.String())
		// A WebSocket frame and an actr frame that announce 16 MiB, and
		// three bytes of it.
		msg := append(wsHeader(websocket.HeaderSize+announced), 0, 0, 0, 0)
		msg = append(websocket.AppendHeader(msg, protocol.RPCReliable, announced), "abc"...)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
		attackers = append(attackers, c)
	}
	// Every gate reader has read its header and waits for the rest.
	waitCond(t, ctx, "every attacker's frame being read", func() bool {
		return cnt.BufferedBytes.Load() == conns*16<<10
	})
	after := heapAlloc()
	per := int64(after-before) / conns
	t.Logf("%d connections, each announcing a %d MiB frame and sending 3 bytes of it: heap %+d KiB in all, %d bytes per connection (both ends, in this process); %d bytes held against the gate's budget",
		conns, announced>>20, int64(after-before)>>10, per, cnt.BufferedBytes.Load())
	if per > 64<<10 {
		t.Errorf("%d bytes of heap per attacking connection, want <= 64 KiB", per)
	}
	if n := cnt.OpenConns.Load(); n != conns {
		t.Errorf("OpenConns = %d, want %d", n, conns)
	}
	for _, c := range attackers {
		_ = c.Close()
	}
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
	waitCond(t, ctx, "the budget given back", func() bool { return cnt.BufferedBytes.Load() == 0 && cnt.OpenConns.Load() == 0 })
	checkFDs(t, fds)

	// Over the budget: bytes that really arrive are held, up to the
	// gate's budget; the connection that would go over it is closed.
	t.Run("budget", func(t *testing.T) {
		ctx := guard(t)
		w := newWorld(t)
		b := w.node(t, idB, nodeOpts{maxPerIP: -1})
		_ = b.server.Close()
		g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: b.mgr, Verifier: w.ver, MaxBufferedBytes: 100 << 10, MaxConnsPerIP: -1})
		if err != nil {
			t.Fatal(err)
		}
		b.gate = g
		if b.server, err = g.Listen("127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.server.Close() })
		cnt := g.Counters()
		// Each sends 40 KiB of a 1 MiB frame: its buffer grows to 64 KiB
		// as the bytes arrive; the second connection's growth does not fit.
		var cs []net.Conn
		for i := range 2 {
			c := rawUpgrade(t, ctx, w, b.server, attacker(i), "/")
			msg := append(wsHeader(websocket.HeaderSize+1<<20), 0, 0, 0, 0)
			msg = append(websocket.AppendHeader(msg, protocol.RPCReliable, 1<<20), make([]byte, 40<<10)...)
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
			if i == 0 {
				waitCond(t, ctx, "the first frame's bytes held", func() bool { return cnt.BufferedBytes.Load() == 64<<10 })
			}
		}
		if dl, ok := ctx.Deadline(); ok {
			_ = cs[1].SetReadDeadline(dl)
		}
		// A close frame with the reason, then the connection is cut
		// (perhaps with a reset, as the gate does not read the rest).
		closing, err := io.ReadAll(cs[1])
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the connection over the budget was not closed: %v", err)
		}
		want := binary.BigEndian.AppendUint16([]byte{0x88}, uint16(cws.StatusTryAgainLater))
		if len(closing) < 4 || closing[0] != want[0] || !bytes.Equal(closing[2:4], want[1:]) || !bytes.Contains(closing, []byte("budget")) {
			t.Errorf("the gate closed the connection over the budget with %q, want a close frame, StatusTryAgainLater, naming the budget", closing)
		}
		waitCond(t, ctx, "the refusal counted", func() bool { return cnt.RefusedBudget.Load() == 1 })
		if n := cnt.BufferedBytes.Load(); n != 64<<10 {
			t.Errorf("BufferedBytes = %d after the refusal, want the first connection's 64 KiB", n)
		}
		_ = cs[0].Close()
		waitCond(t, ctx, "the budget given back", func() bool { return cnt.BufferedBytes.Load() == 0 && cnt.OpenConns.Load() == 0 })
	})
}

// H2: a peer that never reads while the gate's node sends it 8 × 4 MiB
// with no deadline. Its wire fails with ErrStalled within the stall
// timeout (and the stuck Send returns that error), while a well-behaved
// peer of the same gate keeps getting every message, each promptly.
func TestHostileH2StalledPeerFailsWithErrStalled(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	const stallTimeout = 500 * time.Millisecond
	b := w.node(t, idB, nodeOpts{gateOpts: websocket.Options{StallTimeout: stallTimeout}})
	a := w.node(t, idA, nodeOpts{noListen: true})
	staller := attacker(0)
	sub := b.mgr.Subscribe(1024)
	defer sub.Close()
	_ = rawDialAs(t, ctx, w, b, staller, "/actr/"+idB.String()) // and never reads
	// The good peer connects too (its first message opens its wire).
	if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	b.in.wait(t, ctx, 1)
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 2 }, b.mgr)

	start := time.Now()
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			errs <- b.mgr.Send(context.Background(), transport.Actor(staller), protocol.StreamReliable, make([]byte, 4<<20))
		}()
	}
	// Until the first of them returns, the good peer gets every message
	// it is sent, one at a time, each within a bound far below the stall
	// timeout: the staller holds only its own connection's writer.
	var stalled, others, delivered int
	var firstStalled, worst time.Duration
	bound := time.After(4 * stallTimeout)
	record := func(err error) {
		switch {
		case errors.Is(err, transport.ErrStalled):
			if stalled == 0 {
				firstStalled = time.Since(start)
			}
			stalled++
		case err != nil:
			others++
		}
	}
good:
	for {
		select {
		case err := <-errs:
			record(err)
			break good
		case <-bound:
			t.Fatalf("Sends to the staller still stuck %v after they began (stall timeout %v)", time.Since(start), stallTimeout)
		default:
		}
		t0 := time.Now()
		sctx, cancel := context.WithTimeout(ctx, stallTimeout/2)
		err := b.mgr.Send(sctx, transport.Actor(idA), protocol.RPCReliable, []byte{byte(delivered)})
		cancel()
		if err != nil {
			t.Fatalf("message %d to the good peer while the staller stalls: %v", delivered, err)
		}
		a.in.wait(t, ctx, delivered+1)
		delivered++
		worst = max(worst, time.Since(t0))
	}
	for range 7 {
		select {
		case err := <-errs:
			record(err)
		case <-bound:
			t.Fatalf("Sends to the staller still stuck %v after they began (stall timeout %v)", time.Since(start), stallTimeout)
		}
	}
	if delivered < 10 {
		t.Errorf("the good peer got only %d messages in the %v the staller stalled", delivered, firstStalled)
	}
	if worst > stallTimeout/2 {
		t.Errorf("a message to the good peer took %v while the staller stalled", worst)
	}
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		return e.Kind == transport.EventWireStateChanged && e.State == transport.WireFailed && errors.Is(e.Err, transport.ErrStalled)
	})
	if stalled == 0 {
		t.Fatal("no Send to the staller returned ErrStalled")
	}
	if firstStalled > stallTimeout+stallTimeout/4+time.Second {
		t.Errorf("the stuck Send returned after %v; the stall timeout is %v", firstStalled, stallTimeout)
	}
	if s := b.gate.Counters().Stalls.Load(); s != 1 {
		t.Errorf("Stalls = %d, want 1", s)
	}
	t.Logf("8 × 4 MiB to a peer that does not read (stall timeout %v): the first stuck Send returned ErrStalled after %v; %d returned ErrStalled, %d another error (its wire was gone); the good peer got all %d messages sent to it meanwhile, one at a time, the slowest in %v",
		stallTimeout, firstStalled.Round(time.Millisecond), stalled, others, delivered, worst.Round(time.Microsecond))
}

// H10: TCP connections that never send their request hold slots of
// MaxConnsPerIP (and MaxConns) from accept, so a caller from their
// address is refused while they are open, and they are closed by the
// header deadline, which gives the slots back.
func TestHostileH10HalfOpenConnsCountAgainstLimits(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	_ = b.server.Close()
	const hdrTimeout = 300 * time.Millisecond
	g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: b.mgr, Verifier: w.ver, MaxConns: 3, MaxConnsPerIP: 2, HandshakeTimeout: hdrTimeout})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cnt := g.Counters()
	fds := openFDs()
	var d net.Dialer
	var idle []net.Conn
	for range 2 {
		c, err := d.DialContext(ctx, "tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	// The listener accepts in order: the idle connections hold the
	// address's two slots before the caller below is accepted.
	dialer := &websocket.Dialer{Local: idA, Credential: websocket.StaticCredential(w.cred(t, idA))}
	c := dialer.Conn(srv.URL("/actr/"+idB.String()), idB, nil)
	var he *websocket.HandshakeError
	if err := c.Connect(ctx); !errors.As(err, &he) || he.Status != http.StatusTooManyRequests {
		t.Fatalf("a caller while two connections that sent nothing are open: %v, want 429", err)
	}
	_ = c.Close()
	if n := cnt.RejectedPerIP.Load(); n != 1 {
		t.Errorf("RejectedPerIP = %d, want 1", n)
	}
	if n := cnt.OpenConns.Load(); n != 2 {
		t.Errorf("OpenConns = %d with two half-open connections, want 2", n)
	}
	// The header deadline closes them.
	start := time.Now()
	for _, c := range idle {
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetReadDeadline(dl)
		}
		if _, err := io.Copy(io.Discard, c); err != nil {
			t.Fatalf("a half-open connection was not closed by the gate: %v", err)
		}
	}
	if took := time.Since(start); took > hdrTimeout+time.Second {
		t.Errorf("half-open connections closed after %v, header timeout %v", took, hdrTimeout)
	}
	if n := cnt.OpenConns.Load(); n != 0 {
		t.Errorf("OpenConns = %d after the half-open connections were closed, want 0", n)
	}
	c = dialer.Conn(srv.URL("/actr/"+idB.String()), idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("after the half-open connections were closed: %v", err)
	}
	_ = c.Close()
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
	waitCond(t, ctx, "every slot given back", func() bool { return cnt.OpenConns.Load() == 0 })
	for _, c := range idle {
		_ = c.Close()
	}
	checkFDs(t, fds)
}

// H13: a URL path naming another actor than the gate's is refused, even
// with the right X-Actr-Target-ID; with GateConfig.Path set, a path of
// its shape (Path + one segment) must name the gate's ActorID, and any
// other path is accepted (actr dials any path).
func TestHostileH13PathNamingAnotherActorRefused(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	other := protocol.ActorID{Realm: 1, Serial: 9, Manufacturer: "acme", Name: "carol"}
	d := &websocket.Dialer{Local: idA, Credential: websocket.StaticCredential(w.cred(t, idA))}
	dial := func(srv *websocket.Server, path string) error {
		c := d.Conn(srv.URL(path), idB, nil)
		defer c.Close()
		return c.Connect(ctx)
	}
	refused := func(err error) bool {
		var he *websocket.HandshakeError
		return errors.As(err, &he) && he.Status == http.StatusNotFound
	}
	if err := dial(b.server, "/actr/"+other.String()); !refused(err) {
		t.Fatalf("a path naming %s at %s's gate: %v, want 404", other, idB, err)
	}
	if n := b.gate.Counters().RejectedPath.Load(); n != 1 {
		t.Errorf("RejectedPath = %d, want 1", n)
	}
	for _, path := range []string{"/actr/" + idB.String(), "/"} {
		if err := dial(b.server, path); err != nil {
			t.Fatalf("path %q: %v", path, err)
		}
	}
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)

	// Strict: a gate served under /actr/.
	g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: b.mgr, Verifier: w.ver, Path: "/actr/"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, path := range []string{"/actr/" + other.String(), "/actr/not-an-id", "/other/" + other.String()} {
		if err := dial(srv, path); !refused(err) {
			t.Errorf("gate under /actr/, path %q: %v, want 404", path, err)
		}
	}
	for _, path := range []string{"/actr/" + idB.String(), "/", "/actr/", "/other/" + idB.String(), "/actr/" + idB.String() + "/x", "/ws"} {
		if err := dial(srv, path); err != nil {
			t.Fatalf("gate under /actr/, path %q: %v", path, err)
		}
		waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
	}
	if n := g.Counters().RejectedPath.Load(); n != 3 {
		t.Errorf("RejectedPath = %d, want 3", n)
	}
	waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
}

// The stall watchdog measures progress, not frames: a peer that reads a
// large frame slowly, but steadily, is not failed though the frame takes
// several stall timeouts to write. Progress shows as the kernel takes
// bytes, and it wakes a blocked writer only when about half its send
// buffer is free (up to 4 MiB on loopback): the rate here, 12.8 MB/s,
// frees 2 MiB in 160 ms, well within the 400 ms timeout.
func TestSlowReaderIsNotTakenForStaller(t *testing.T) {
	ctx := guard(t)
	const stallTimeout = 400 * time.Millisecond
	const size = 16<<20 - websocket.HeaderSize
	got := make(chan int, 1)
	url := newRogueGate(t, func(ctx context.Context, c *cws.Conn) {
		c.SetReadLimit(size + websocket.HeaderSize)
		_, r, err := c.Reader(ctx)
		if err != nil {
			got <- -1
			return
		}
		// 256 KiB per 20 ms: the frame takes over 1.2 s.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		buf := make([]byte, 256<<10)
		n := 0
		for {
			m, err := io.ReadFull(r, buf)
			n += m
			if err != nil {
				got <- n
				return
			}
			<-tick.C
		}
	})
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{StallTimeout: stallTimeout}}
	c := d.Conn(url, idB, nil)
	defer c.Close()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	lane, err := c.Lane(protocol.StreamReliable)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := lane.Send(context.Background(), make([]byte, size)); err != nil {
		t.Fatalf("a Send to a slow reader: %v", err)
	}
	if n := <-got; n != size+websocket.HeaderSize {
		t.Fatalf("the slow reader got %d bytes, want %d", n, size+websocket.HeaderSize)
	}
	took := time.Since(start)
	if s := d.Counters().Stalls.Load(); s != 0 {
		t.Fatalf("a slow reader was failed as stalled (%d)", s)
	}
	t.Logf("%.0f MiB to a peer reading 12.8 MB/s took %v with a stall timeout of %v: not failed", float64(size)/(1<<20), took.Round(time.Millisecond), stallTimeout)
}

// Connections over a limit are answered within a bound, and only so many
// at once: beyond, they are closed at accept unanswered. Either way none
// holds a slot, and all are gone within a second or so.
func TestHostileH10RefusalsBounded(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{})
	_ = b.server.Close()
	g, err := websocket.NewGate(websocket.GateConfig{AllowBearer: true, Acceptor: b.mgr, Verifier: w.ver, MaxConns: 1, MaxConnsPerIP: -1})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cnt := g.Counters()
	var d net.Dialer
	const over = 70 // maxRefusing (64) answered, 6 dropped
	var conns []net.Conn
	for range 1 + over {
		c, err := d.DialContext(ctx, "tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	waitCond(t, ctx, "every connection accepted or dropped", func() bool { return cnt.RejectedBusy.Load() == over })
	if n := cnt.DroppedAtAccept.Load(); n != over-64 {
		t.Errorf("DroppedAtAccept = %d, want %d", n, over-64)
	}
	if n := cnt.OpenConns.Load(); n != 1 {
		t.Errorf("OpenConns = %d, want 1 (the first; refused ones hold no slot)", n)
	}
	// The refused connections, sending nothing, are closed by their 1 s
	// bound, not the 10 s header deadline.
	start := time.Now()
	for _, c := range conns[1:] {
		if dl, ok := ctx.Deadline(); ok {
			_ = c.SetReadDeadline(dl)
		}
		if _, err := io.Copy(io.Discard, c); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("a refused connection was kept open")
			}
		}
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("refused connections closed after %v, want about 1 s", took)
	}
	// A refused caller that does send its request is answered 503.
	c, err := d.DialContext(ctx, "tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: gate\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a caller over the limit: %s, want 503", resp.Status)
	}
	_ = conns[0].Close()
	waitCond(t, ctx, "every slot given back", func() bool { return cnt.OpenConns.Load() == 0 })
}
