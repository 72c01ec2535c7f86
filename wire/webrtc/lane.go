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

// Send implements transport.Lane. A lane with no open channel yet (the
// peer has not opened it, and neither has this side) opens its channel
// in-band, and Send waits for it, honouring ctx and at most
// Config.ChannelOpenTimeout. It waits, honouring ctx, for the lane's
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
	if ls.send.Load() == nil {
		if err := s.awaitChannel(ctx, l.c, ls); err != nil {
			return err
		}
	}
	if ok, err := ls.slot.Take(ctx, s.done); !ok {
		if err != nil {
			return fmt.Errorf("webrtc: waiting to write to %s: %w", s.peer, err)
		}
		// The session ended (say, stalled while another Send held the
		// slot): its cause is set before done is closed.
		return l.c.laneClosed(s.Err())
	}
	defer ls.slot.Release()
	// The channel is read again under the slot: it changes only when it
	// closed and the lane has another.
	ch := ls.send.Load()
	high := uint64(s.cfg.BufferedAmountHigh)
	if ch.dc.BufferedAmount() > high {
		if err := s.drain(ctx, l.c, ls, ch, high); err != nil {
			return err
		}
	} else if ls.waiting {
		ls.waiting = false // it drained since a Send gave up waiting
	}
	total := fragmentCount(len(data))
	ls.msgID++
	for i := range total {
		chunk := data[i*MaxChunkSize : min(len(data), (i+1)*MaxChunkSize)]
		ls.buf = appendFragment(ls.buf[:0], ls.msgID, uint16(i), uint16(total), chunk)
		if _, err := ch.rwc.Write(ls.buf); err != nil {
			// A message cut short would leave the peer's reassembly
			// waiting: the session is finished.
			err = fmt.Errorf("%w: writing to %s on %s: %w", transport.ErrWireClosed, s.peer, spec.label, err)
			s.stop(err)
			return l.c.laneClosed(err)
		}
	}
	if !ch.sent.Load() {
		ch.sent.Store(true)
	}
	if cap(ls.buf) > 2*MaxChannelMessage {
		ls.buf = nil
	}
	s.co.counters.MessagesOut.Add(1)
	s.co.counters.BytesOut.Add(uint64(len(data)))
	return nil
}

// drain waits, holding ls's write slot, until the queue of ch (ls's send
// channel) is at most high
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
func (s *session) drain(ctx context.Context, c *Conn, ls *laneState, ch *dchan, high uint64) error {
	st := s.cfg.StallTimeout
	now := time.Now()
	if cur := ch.dc.BufferedAmount(); !ls.waiting || cur < ls.stallAmount {
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
			if cur := ch.dc.BufferedAmount(); cur >= ls.stallAmount {
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
		if cur := ch.dc.BufferedAmount(); cur < ls.stallAmount {
			ls.stallSince, ls.stallAmount = time.Now(), cur
			if tick != nil {
				ls.stall.Reset(st)
			}
		}
	}
	ls.waiting = false
	return nil
}

// awaitChannel has the loop open ls's channel, and waits until ls has
// one to send on, ctx ends (its error is returned), the session ends, or
// Config.ChannelOpenTimeout passes, which ends the session: pion opens a
// channel in-band as soon as it has sent the DCEP open (RFC 8832 lets
// data follow it at once), so one that does not open has no SCTP under it.
func (s *session) awaitChannel(ctx context.Context, c *Conn, ls *laneState) error {
	s.post(func() { s.openLane(ls) })
	t := time.NewTimer(s.cfg.ChannelOpenTimeout)
	defer t.Stop()
	select {
	case <-ls.opened:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("webrtc: waiting for data channel %s to %s to open: %w", ls.spec.label, s.peer, ctx.Err())
	case <-s.done:
		return c.laneClosed(s.Err())
	case <-t.C:
		err := fmt.Errorf("%w: data channel %s to %s not open within %v (Config.ChannelOpenTimeout)", transport.ErrWireClosed, ls.spec.label, s.peer, s.cfg.ChannelOpenTimeout)
		s.stop(err)
		return c.laneClosed(err)
	}
}
