package webrtc

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Flush waits for the peer to take what was queued; when the peer takes
// nothing (its reader is held) and ctx ends first, it reports how many
// bytes are still queued, as an error matching transport.ErrUnflushed.
func TestFlushReportsWhatAPeerDidNotTake(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	cfgA := hostileConfig()
	cfgA.StallTimeout = -1 // the queue must stay, not fail the wire
	a := newHubNode(t, hub, "acme:a@1.1", cfgA, newRecorder())
	stalled := &stallInbound{blocked: make(chan struct{})}
	b := newHubNode(t, hub, "acme:b@1.2", hostileConfig(), stalled)
	toB := a.dial(t, ctx, b.id, newRecorder())

	// Nothing queued: Flush returns at once.
	if err := toB.Flush(ctx); err != nil {
		t.Fatalf("Flush with nothing queued: %v", err)
	}
	lane, err := toB.Lane(protocol.PayloadType_STREAM_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	// Queue more than b's receive window once b's reader is held.
	msg := make([]byte, MaxChunkSize)
	if err := lane.Send(ctx, msg); err != nil {
		t.Fatal(err)
	}
	<-stalled.blocked
	sctx, scancel := context.WithTimeout(ctx, time.Second) // b takes no more: Sends fill a's queue until one waits out this bound
	for sctx.Err() == nil {
		if err := lane.Send(sctx, msg); err != nil {
			break
		}
	}
	scancel()
	fctx, fcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer fcancel()
	err = toB.Flush(fctx)
	var ue *transport.UnflushedError
	if !errors.Is(err, transport.ErrUnflushed) || !errors.As(err, &ue) || ue.Bytes == 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush to a peer that takes nothing: %v, want an UnflushedError naming the bytes queued and the deadline", err)
	}
	t.Logf("unflushed: %d bytes", ue.Bytes)
}
