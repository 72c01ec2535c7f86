package websocket_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// readAll collects the data messages a rogue gate reads until the close
// frame, and reports them on done.
func readAll(done chan<- [][]byte) func(context.Context, *cws.Conn) {
	return func(ctx context.Context, c *cws.Conn) {
		c.SetReadLimit(-1)
		var got [][]byte
		for {
			_, b, err := c.Read(ctx)
			if err != nil {
				done <- got
				return
			}
			got = append(got, b)
		}
	}
}

// Small frames are taken into the pending buffer and Send returns; a Close
// right after writes every one of them, in order, before its close frame:
// nothing Send took is lost on a clean close.
func TestCloseWritesPendingFramesFirst(t *testing.T) {
	ctx := guard(t)
	done := make(chan [][]byte, 1)
	srv := newRogueGate(t, readAll(done))
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: -1}}
	c := d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	lane, _ := c.Lane(protocol.RPCReliable)
	const n = 5000
	for i := range n {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], uint64(i))
		if err := lane.Send(ctx, b[:]); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	select {
	case got = <-done:
	case <-ctx.Done():
		t.Fatal("the gate never saw the close")
	}
	if len(got) != n {
		t.Fatalf("%d of %d frames arrived before the close", len(got), n)
	}
	for i, m := range got {
		if binary.BigEndian.Uint64(m[websocket.HeaderSize:]) != uint64(i) {
			t.Fatalf("frame %d out of order", i)
		}
	}
	if u := d.Counters().UnsentAtDeath.Load(); u != 0 {
		t.Fatalf("%d frames counted unsent on a clean close", u)
	}
}

// Flush returns once what Sends took is on the socket.
func TestFlushWaitsForPendingFrames(t *testing.T) {
	ctx := guard(t)
	done := make(chan [][]byte, 1)
	srv := newRogueGate(t, readAll(done))
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: -1}}
	c := d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	lane, _ := c.Lane(protocol.RPCReliable)
	for range 1000 {
		if err := lane.Send(ctx, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := d.Counters().FramesOut.Load(); got != 1000 {
		t.Fatalf("%d of 1000 frames written when Flush returned", got)
	}
}

// A connection that dies with frames pending counts them, and Flush says
// they are lost (transport.ErrUnflushed).
func TestFramesPendingAtDeathAreCounted(t *testing.T) {
	ctx := guard(t)
	release := make(chan struct{})
	srv := newRogueGate(t, func(ctx context.Context, c *cws.Conn) { <-release }, withReadBuffer(64<<10))
	// The stuck frame must outgrow what the sockets between can hold:
	// the gate's receive buffer is pinned small (no autotuning), and the
	// sender's grows at most to tcp_wmem's maximum (4 MiB by default).
	// 8 MiB once fitted into an autotuned receive buffer (tcp_rmem's
	// maximum is 32 MiB here), was all written, and Flush succeeded.
	const stuckFrame = 48 << 20
	d := &websocket.Dialer{Local: idA, Options: websocket.Options{PingInterval: -1, StallTimeout: -1, MaxMessageSize: stuckFrame}}
	c := d.Conn(srv, idB, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	lane, _ := c.Lane(protocol.StreamReliable)
	stuck := make(chan error, 1)
	go func() { stuck <- lane.Send(ctx, make([]byte, stuckFrame)) }() // fills the socket; the peer reads nothing
	for !websocket.WriterHeld(c) {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			t.Fatal("the big Send never took the writer")
		}
	}
	for range 10 {
		if err := lane.Send(ctx, make([]byte, 100)); err != nil {
			t.Fatal(err)
		}
	}
	fctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	err := c.Flush(fctx)
	cancel()
	if !errors.Is(err, transport.ErrUnflushed) {
		t.Fatalf("Flush behind a stuck frame: %v, want ErrUnflushed", err)
	}
	close(release) // the gate drops the connection
	<-stuck
	<-c.Done()
	if err := c.Flush(ctx); !errors.Is(err, transport.ErrUnflushed) {
		t.Fatalf("Flush after the death: %v, want ErrUnflushed", err)
	}
	if u := d.Counters().UnsentAtDeath.Load(); u != 10 {
		t.Fatalf("UnsentAtDeath %d, want 10", u)
	}
	_ = c.Close()
}
