package signaling_test

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/signaling"
)

// The cap in all refuses with 503 at accept, before any HTTP.
func TestConnCapInAllRefusedAtAccept(t *testing.T) {
	ts := newServer(t, signaling.ServerConfig{Limits: signaling.Limits{MaxConns: 2}}, "")
	ctx := bounded(t, 5*time.Second)
	for range 2 {
		nc, err := net.Dial("tcp", ts.ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}
	eventually(t, ctx, "two connections counted", func() bool { return ts.srv.Counters().OpenConnections() == 2 })
	nc, err := net.Dial("tcp", ts.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.SetReadDeadline(time.Now().Add(3 * time.Second))
	b := make([]byte, 64)
	n, _ := nc.Read(b)
	if !strings.HasPrefix(string(b[:n]), "HTTP/1.1 503") || ts.srv.Counters().Refused(signaling.RefusedConnLimit) != 1 {
		t.Fatalf("third connection answered %q; refusals counted %d", b[:n], ts.srv.Counters().Refused(signaling.RefusedConnLimit))
	}
}

// Embedded in another http.Server, the server counts at ServeHTTP,
// before the upgrade, and releases when the connection ends.
func TestConnCapEmbeddedHandler(t *testing.T) {
	ts := newServer(t, signaling.ServerConfig{Limits: signaling.Limits{MaxConnsPerAddr: 1}}, "")
	hs := httptest.NewServer(ts.srv)
	defer hs.Close()
	ctx := bounded(t, 5*time.Second)
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/"
	first, _, err := cws.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := cws.Dial(ctx, url, nil); err == nil || resp == nil || resp.StatusCode != 429 {
		t.Fatalf("second upgrade from one address: %v, want 429", err)
	}
	_ = first.CloseNow()
	eventually(t, ctx, "the embedded connection released", func() bool { return ts.srv.Counters().OpenConnections() == 0 })
	again, _, err := cws.Dial(ctx, url, nil)
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	_ = again.CloseNow()
}
