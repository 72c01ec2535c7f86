package websocket_test

import (
	"context"
	"errors"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// stuckWriter connects to a gate that reads nothing until release is
// closed, then reads every message until the close, reporting them; and
// starts an 8 MiB Send that holds the writer meanwhile.
func stuckWriter(t *testing.T, ctx context.Context) (c *websocket.Conn, lane transport.Lane, release chan struct{}, stuck chan error, msgs chan [][]byte) {
	t.Helper()
	release = make(chan struct{})
	msgs = make(chan [][]byte, 1)
	read := readAll(msgs)
	srv := newRogueGate(t, func(ctx context.Context, c *cws.Conn) {
		<-release
		read(ctx, c)
	})
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: -1, StallTimeout: -1}}
	c = d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	lane, _ = c.Lane(protocol.StreamReliable)
	stuck = make(chan error, 1)
	go func() { stuck <- lane.Send(ctx, make([]byte, 8<<20)) }()
	for !websocket.WriterHeld(c) {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the big Send never took the writer")
		}
	}
	return c, lane, release, stuck, msgs
}

// A large Send queued behind a stuck frame whose ctx ends is taken out of
// the queue: it returns its ctx's error, the connection stays up, and the
// frame is never written.
func TestQueuedSendCancelledIsNeverWritten(t *testing.T) {
	ctx := guard(t)
	c, lane, release, stuck, msgs := stuckWriter(t, ctx)
	sctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	err := lane.Send(sctx, make([]byte, 64<<10))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, websocket.ErrPeerStalled) {
		t.Fatalf("queued Send: %v, want its deadline", err)
	}
	if !c.Ready() {
		t.Fatal("a queued Send's deadline tore the connection down")
	}
	close(release)
	if err := <-stuck; err != nil {
		t.Fatalf("the big Send: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := <-msgs
	if len(got) != 1 || len(got[0]) != websocket.HeaderSize+8<<20 {
		t.Fatalf("the gate got %d messages, want only the big one", len(got))
	}
}

// Close with large Sends queued behind a stuck frame: they fail with the
// lane closed, none reports success, and Close returns.
func TestCloseFailsQueuedSends(t *testing.T) {
	ctx := guard(t)
	c, lane, release, stuck, _ := stuckWriter(t, ctx)
	defer close(release)
	queued := make(chan error, 4)
	for range 4 {
		go func() { queued <- lane.Send(ctx, make([]byte, 64<<10)) }()
	}
	for websocket.QueuedSends(c) < 4 {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the Sends never queued")
		}
	}
	closed := make(chan error, 1)
	go func() { closed <- c.Close() }()
	for range 4 {
		if err := <-queued; !errors.Is(err, transport.ErrLaneClosed) {
			t.Fatalf("queued Send at Close: %v, want ErrLaneClosed", err)
		}
	}
	if err := <-stuck; err == nil {
		t.Fatal("the stuck Send reported success")
	}
	<-closed
}
