package websocket_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
)

// countingListener counts the connections it accepted that are not yet
// closed, so that the scale benchmark can wait for the sink to let go of
// one variant's 10,000 connections before the next variant dials its own
// (the sink may hold only so many descriptors).
type countingListener struct {
	net.Listener
	mu      sync.Mutex
	open    int
	changed chan struct{} // closed and replaced whenever open falls
}

func newCountingListener(ln net.Listener) *countingListener {
	return &countingListener{Listener: ln, changed: make(chan struct{})}
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.open++
	l.mu.Unlock()
	return &countedConn{Conn: c, l: l}, nil
}

func (l *countingListener) release() {
	l.mu.Lock()
	l.open--
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// waitOpen returns once at most n accepted connections are open.
func (l *countingListener) waitOpen(ctx context.Context, n int) error {
	for {
		l.mu.Lock()
		open, ch := l.open, l.changed
		l.mu.Unlock()
		if open <= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d connections still open: %w", open, context.Cause(ctx))
		}
	}
}

// countedConn tells its listener when it is closed, the first time.
type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.l.release)
	return c.Conn.Close()
}

// drainedPath is the sink's endpoint that answers once the sink holds no
// connection but the one asking.
const drainedPath = "/drained"

// serveDrained answers drainedPath requests from l's count.
func serveDrained(l *countingListener) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := l.waitOpen(r.Context(), 1); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// waitSinkDrained waits until the sink at addr has closed every
// connection of the variant that ran before.
func waitSinkDrained(b *testing.B, ctx context.Context, addr string) {
	b.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+drainedPath, nil)
	if err != nil {
		b.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		b.Fatalf("waiting for the sink to close the last variant's connections: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b.Fatalf("waiting for the sink to close the last variant's connections: %s", resp.Status)
	}
}
