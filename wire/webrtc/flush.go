package webrtc

import (
	"context"
	"fmt"
	"time"

	"github.com/actr-go/actr/transport"
)

// flushPoll is how often Flush looks at a queue between the data
// channel's low-water signals: those fire when a queue falls below
// Config.BufferedAmountLow, not when it empties.
const flushPoll = 5 * time.Millisecond

// Flush implements transport.Flusher: it returns once every data channel
// of the Conn's session that Sends wrote to has nothing queued, which in
// SCTP means the peer has acknowledged every byte, or when ctx ends, with an error matching
// transport.ErrUnflushed that says how many bytes were still queued. A
// Send writing its fragments is let finish first. A Conn with no ready
// session has nothing to flush.
func (c *Conn) Flush(ctx context.Context) error {
	s := c.session()
	if s == nil || !s.ready.Load() {
		return nil
	}
	var tick *time.Ticker
	defer func() {
		if tick != nil {
			tick.Stop()
		}
	}()
	for _, ls := range s.lanes {
		// The slot is held while a message's fragments are queued: taking
		// it waits for the last Send's message to be queued whole.
		if ok, _ := ls.slot.Take(ctx, s.done); ok {
			ls.slot.Release()
		}
		for ls.unflushed() > 0 {
			if tick == nil {
				tick = time.NewTicker(flushPoll)
			}
			select {
			case <-ls.low:
			case <-tick.C:
			case <-s.done:
				return c.unflushed(s, s.Err())
			case <-ctx.Done():
				return c.unflushed(s, ctx.Err())
			}
		}
		for _, ch := range ls.open() {
			if !ch.sent.Load() || ch.acked == nil {
				continue
			}
			select {
			case <-ch.acked:
			case <-s.done:
				return c.unacked(s, ls, s.Err())
			case <-ctx.Done():
				return c.unacked(s, ls, ctx.Err())
			}
		}
	}
	return nil
}

// unacked reports a lane whose channel the peer has not acknowledged
// opening: what was sent on it may be dropped with it.
func (c *Conn) unacked(s *session, ls *laneState, why error) error {
	if err := c.unflushed(s, why); err != nil {
		return err
	}
	if why == nil {
		why = fmt.Errorf("the session to %s ended", c.peer)
	}
	return &transport.UnflushedError{Kind: transport.WireWebRTC, Err: fmt.Errorf("%s channel not yet acknowledged by the peer: %w", ls.spec.label, why)}
}

// unflushed reports what s's channels still hold.
func (c *Conn) unflushed(s *session, why error) error {
	var n uint64
	for _, ls := range s.lanes {
		n += ls.unflushed()
	}
	if n == 0 {
		return nil
	}
	if why == nil {
		why = fmt.Errorf("the session to %s ended", c.peer)
	}
	return &transport.UnflushedError{Kind: transport.WireWebRTC, Bytes: int(n), Err: why}
}
