package webrtc

import (
	"context"
	"fmt"
	"time"

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
// whole, so memory per lane is bounded by that mark plus one message. If
// the queue drains nothing for Config.StallTimeout meanwhile, the wire
// fails and Send returns an error matching transport.ErrStalled (and
// transport.ErrLaneClosed), even when ctx has no deadline.
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
		// The session ended (say, stalled while another Send held the
		// slot): its cause is set before done is closed.
		return l.c.laneClosed(s.Err())
	}
	defer ls.slot.Release()
	high := uint64(s.cfg.BufferedAmountHigh)
	if ls.dc.BufferedAmount() > high {
		if err := s.drain(ctx, l.c, ls, high); err != nil {
			return err
		}
	} else if ls.waiting {
		ls.waiting = false // it drained since a Send gave up waiting
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

// drain waits, holding ls's write slot, until ls's queue is at most high
// bytes, ctx ends or the session does. A queue that drains not one byte
// for Config.StallTimeout means the peer stopped reading: the session is
// failed with transport.ErrStalled, which is returned, ctx or not.
//
// The stall clock runs across Sends: one whose ctx ends first leaves it
// running (ls.waiting), so Sends with deadlines shorter than StallTimeout
// still find the stall. Any progress restarts it, and a Send that finds
// the queue under its mark (which means it drained) stops it. Only the
// slot's holder writes to the channel, so while the clock runs the queue
// only shrinks: comparing it with its size at the last progress tells a
// stall. This is the slow path (the queue was over its high mark): the
// timer is the lane's own, made once and reset per wait, never per
// message.
func (s *session) drain(ctx context.Context, c *Conn, ls *laneState, high uint64) error {
	st := s.cfg.StallTimeout
	now := time.Now()
	if cur := ls.dc.BufferedAmount(); !ls.waiting || cur < ls.stallAmount {
		ls.waiting, ls.stallSince = true, now
		ls.stallAmount = cur
	}
	var tick <-chan time.Time
	if st > 0 {
		wait := max(st-now.Sub(ls.stallSince), 0)
		if ls.stall == nil {
			ls.stall = time.NewTimer(wait)
		} else {
			ls.stall.Reset(wait)
		}
		defer ls.stall.Stop()
		tick = ls.stall.C
	}
	for ls.stallAmount > high {
		select {
		case <-ls.low:
		case <-tick:
			if cur := ls.dc.BufferedAmount(); cur >= ls.stallAmount {
				err := fmt.Errorf("%w: %s drained none of the %d bytes queued on %s for %v (Config.StallTimeout)",
					transport.ErrStalled, s.peer, cur, ls.spec.label, st)
				s.stalled(err)
				return c.laneClosed(s.Err())
			}
		case <-ctx.Done():
			return fmt.Errorf("webrtc: waiting for %s to drain its %s queue: %w", s.peer, ls.spec.label, ctx.Err())
		case <-s.done:
			return c.laneClosed(s.Err())
		}
		if cur := ls.dc.BufferedAmount(); cur < ls.stallAmount {
			ls.stallSince, ls.stallAmount = time.Now(), cur
			if tick != nil {
				ls.stall.Reset(st)
			}
		}
	}
	ls.waiting = false
	return nil
}
