package websocket_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cws "github.com/coder/websocket"
)

// newRogueGate serves a bare WebSocket endpoint that runs script on every
// connection, for tests of how the client treats a broken peer. It returns
// the ws:// URL.
func newRogueGate(t *testing.T, script func(context.Context, *cws.Conn), opts ...rogueOption) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := cws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		script(context.Background(), c)
	}))
	for _, o := range opts {
		o(srv)
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

type rogueOption func(*httptest.Server)

// withReadBuffer pins the gate's socket receive buffer to n bytes (which
// turns the kernel's autotuning off for it), so that a peer that reads
// nothing stalls a sender after a known amount.
func withReadBuffer(n int) rogueOption {
	return func(s *httptest.Server) { s.Listener = readBufferListener{Listener: s.Listener, n: n} }
}

type readBufferListener struct {
	net.Listener
	n int
}

func (l readBufferListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(l.n)
	}
	return c, err
}
