package webrtc

import (
	"context"
	"fmt"

	"github.com/actr-go/actr/transport"
)

// lane sends one payload type's messages on a Conn's current session.
// A lane whose session is not ready reports ErrLaneClosed, and the Conn
// hands out a fresh lane object, so the transport retries on another wire
// and keeps this one for when the session is ready again.
type lane struct {
	c   *Conn
	idx int
}

// Send implements transport.Lane. It waits, honouring ctx, for the lane's
// write slot and for the channel's queue to drain below
// Config.BufferedAmountHigh; then the message's fragments are queued
// whole, so memory per lane is bounded by that mark plus one message.
func (l *lane) Send(ctx context.Context, data []byte) error {
	s := l.c.session()
	spec := channelSpecs[l.idx]
	switch {
	case s == nil:
		return l.c.laneClosed(nil)
	case len(data) > s.cfg.MaxMessageSize:
		return &transport.MessageTooLargeError{Size: len(data), Max: s.cfg.MaxMessageSize}
	case !spec.reliable() && len(data) > MaxChunkSize:
		// Fragments on a lossy lane would park partial messages (F13).
		return &transport.MessageTooLargeError{Size: len(data), Max: MaxChunkSize}
	case !s.ready.Load():
		return l.c.laneClosed(errNotReady)
	}
	ls := s.lanes[l.idx]
	if ok, err := ls.slot.Take(ctx, s.done); !ok {
		if err != nil {
			return fmt.Errorf("webrtc: waiting to write to %s: %w", s.peer, err)
		}
		return l.c.laneClosed(nil)
	}
	defer ls.slot.Release()
	high := uint64(s.cfg.BufferedAmountHigh)
	for ls.dc.BufferedAmount() > high {
		select {
		case <-ls.low:
		case <-ctx.Done():
			return fmt.Errorf("webrtc: waiting for %s to drain its %s queue: %w", s.peer, spec.label, ctx.Err())
		case <-s.done:
			return l.c.laneClosed(nil)
		}
	}
	rwc := ls.rwc.Load()
	if rwc == nil {
		return l.c.laneClosed(errNotReady)
	}
	total := fragmentCount(len(data))
	ls.msgID++
	for i := range total {
		chunk := data[i*MaxChunkSize : min(len(data), (i+1)*MaxChunkSize)]
		ls.buf = appendFragment(ls.buf[:0], ls.msgID, uint16(i), uint16(total), chunk)
		if _, err := (*rwc).Write(ls.buf); err != nil {
			// A message cut short would leave the peer's reassembly
			// waiting: the session is finished.
			err = fmt.Errorf("%w: writing to %s on %s: %w", transport.ErrWireClosed, s.peer, spec.label, err)
			s.stop(err)
			return l.c.laneClosed(err)
		}
	}
	if cap(ls.buf) > 2*MaxChannelMessage {
		ls.buf = nil
	}
	s.co.counters.MessagesOut.Add(1)
	s.co.counters.BytesOut.Add(uint64(len(data)))
	return nil
}
