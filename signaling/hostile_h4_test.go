package signaling_test

import (
	"net"
	"sync"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/signaling"
)

// H4: connections that never send anything are closed: upgraded ones
// after RegisterTimeout, TCP ones that never send their HTTP request after
// HeaderTimeout; one that stops answering pings after PingTimeout. They
// are capped per address at accept, before any HTTP, and nothing is left
// behind.
func TestHostileH4IdleConnectionsClosed(t *testing.T) {
	const deadline = 300 * time.Millisecond
	ts := newServer(t, signaling.ServerConfig{Limits: signaling.Limits{RegisterTimeout: deadline, HeaderTimeout: deadline,
		PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond, MaxConnsPerAddr: 11}}, "")
	c := ts.srv.Counters()
	fds := openFDs(t)
	// Well past the deadlines, well short of the 10 s the old server
	// waited for a request and the forever it waited for an envelope.
	ctx := bounded(t, 3*time.Second)
	start := time.Now()

	const upgraded, halfOpen = 5, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	var slowest time.Duration
	for range upgraded {
		r := rawDial(t, ctx, ts.url, nil)
		wg.Go(func() {
			_, _, err := r.c.Read(ctx) // answers pings, sends nothing
			if ctx.Err() != nil || err == nil {
				t.Errorf("an idle upgraded connection was not closed: %v", err)
			}
			mu.Lock()
			slowest = max(slowest, time.Since(start))
			mu.Unlock()
			_ = r.c.CloseNow()
		})
	}
	var conns []net.Conn
	for range halfOpen {
		nc, err := net.Dial("tcp", ts.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
	}
	// Caps count at accept, before any HTTP: 10 held and this one fill
	// the 11 allowed, the upgrade after it is refused.
	extra, err := net.Dial("tcp", ts.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer extra.Close()
	_, _, err = cws.Dial(ctx, ts.url, nil)
	if err == nil {
		t.Fatal("a connection over MaxConnsPerAddr was upgraded")
	}
	if n := c.Refused(signaling.RefusedAddrConnLimit); n != 1 {
		t.Fatalf("refused over the per-address cap: %d, want 1 (%v)", n, err)
	}
	for _, nc := range conns {
		wg.Go(func() {
			_ = nc.SetReadDeadline(time.Now().Add(3 * time.Second))
			if _, err := nc.Read(make([]byte, 1)); err == nil || isTimeout(err) {
				t.Errorf("a TCP connection without a request was not closed: %v", err)
			}
			_ = nc.Close()
		})
	}
	wg.Wait()
	t.Logf("idle upgraded connections closed %v after connecting (deadline %v)", slowest, deadline)

	// A registered client that stops reading stops answering pings.
	r, _, _ := rawRegister(t, ctx, ts.url, nil, typeA, 1)
	eventually(t, ctx, "keepalive close", func() bool { return c.Disconnected(signaling.DisconnectKeepalive) == 1 })
	_ = r.c.CloseNow()
	_ = extra.Close()

	if n := c.Disconnected(signaling.DisconnectRegisterTimeout); n != upgraded {
		t.Fatalf("register timeouts %d, want %d", n, upgraded)
	}
	eventually(t, ctx, "no-request closes counted", func() bool { return c.Disconnected(signaling.DisconnectNoRequest) >= halfOpen })
	eventually(t, ctx, "connections released", func() bool { return c.OpenConnections() == 0 })
	// The server's side and the test's own client side alike.
	eventually(t, ctx, "fds released", func() bool { return openFDs(t) <= fds })
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
