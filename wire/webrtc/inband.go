package webrtc

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/pion/datachannel"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/transport"
)

// Data channels are opened in-band and labelled, as the actr runtime
// opens them (channels.go). A lane has at most two: the one this side
// opened (local) and the one the peer opened (remote). Usually it has
// one: the offerer opens all four before its first offer and the answerer
// takes them as they arrive; a lane the peer never opened (an actr peer
// may open only RPC_RELIABLE) is opened by this side on its first Send.
// When both sides open a lane at once, both channels are read, and each
// side sends on the first of them that opened for it, for as long as it
// is open: a lane's messages never switch channels while both are open,
// which would let the peer's two readers reorder them.
//
// A channel the peer opens is refused (closed at once, counted in
// Counters.RefusedChannels) when its label names no lane, when its lane
// already has the peer's channel open, when its QoS does not fit its lane
// (channelSpec.fits), or when the session has had maxSessionChannels
// channels; after maxRefusedChannels refusals the session is given up.

// dchan is one open data channel of a lane.
type dchan struct {
	dc    *pion.DataChannel
	rwc   datachannel.ReadWriteCloserDeadliner // detached, once open
	local bool                                 // opened by this side
	// sent: a Send wrote to it. Only such a channel has anything for
	// Flush: the rest queue at most DCEP's own messages (our open, or
	// our ack of the peer's), which Sends did not accept, and which a
	// SACK of a later message covers anyway (SCTP acknowledges TSNs
	// cumulatively).
	sent atomic.Bool
	// acked, for a channel this side opened, is closed when the peer's
	// DATA_CHANNEL_ACK is read: until then the peer may not have the
	// channel at all. A peer whose association ends before it has acked
	// drops the channel and what was sent on it, though SCTP acknowledged
	// those bytes, so Flush waits for it too. nil for the peer's channels.
	acked chan struct{}
}

// open returns the lane's open channels (any goroutine).
func (ls *laneState) open() []*dchan {
	if p := ls.chans.Load(); p != nil {
		return *p
	}
	return nil
}

// unflushed is what the lane's channels that Sends wrote to have queued.
func (ls *laneState) unflushed() uint64 {
	var n uint64
	for _, ch := range ls.open() {
		if ch.sent.Load() {
			n += ch.dc.BufferedAmount()
		}
	}
	return n
}

// openLocal creates this side's channel of ls unless the lane has one
// already (ours, open or opening, or the peer's). pion opens it in-band
// at once if SCTP is up, else when it comes up, in the order created.
// Loop only.
func (s *session) openLocal(ls *laneState) error {
	if ls.local != nil || ls.remote != nil {
		return nil
	}
	if s.channels >= maxSessionChannels {
		return fmt.Errorf("%w: %s: the session has had %d data channels", transport.ErrWireClosed, ls.spec.label, s.channels)
	}
	dc, err := s.pc.CreateDataChannel(ls.spec.label, ls.spec.init())
	if err != nil {
		return fmt.Errorf("webrtc: creating data channel %s: %w", ls.spec.label, err)
	}
	s.channels++
	ch := &dchan{dc: dc, local: true}
	ls.local = ch
	s.watchLow(ls, dc)
	dc.OnOpen(func() { s.post(func() { s.localOpened(ls, ch) }) })
	return nil
}

// openLane is openLocal for a Send that found ls without a channel: a
// failure ends the session (its Send is waiting for the lane, and pion
// cannot make the channel for want of SCTP or stream ids).
func (s *session) openLane(ls *laneState) {
	if err := s.openLocal(ls); err != nil {
		s.stop(err)
	}
}

func (s *session) watchLow(ls *laneState, dc *pion.DataChannel) {
	dc.SetBufferedAmountLowThreshold(uint64(s.cfg.BufferedAmountLow))
	dc.OnBufferedAmountLow(func() {
		select {
		case ls.low <- struct{}{}:
		default:
		}
	})
}

func (s *session) localOpened(ls *laneState, ch *dchan) {
	rwc, err := ch.dc.DetachWithDeadline()
	if err != nil {
		s.stop(fmt.Errorf("webrtc: detaching data channel %s: %w", ls.spec.label, err))
		return
	}
	ch.rwc = rwc
	// Before its reader starts: the reader is what reads the ack.
	if d, ok := rwc.(*datachannel.DataChannel); ok {
		ch.acked = make(chan struct{})
		d.OnOpen(func() { close(ch.acked) })
	}
	s.channelUp(ls, ch)
}

// remoteOpened takes a channel the peer opened, or refuses it.
func (s *session) remoteOpened(dc *pion.DataChannel) {
	// Detached either way: that is how pion forgets it.
	rwc, err := dc.DetachWithDeadline()
	if err != nil {
		s.stop(fmt.Errorf("webrtc: detaching the peer's data channel %q: %w", clip(dc.Label()), err))
		return
	}
	i := labelIndex(dc.Label())
	var why string
	switch {
	case i < 0:
		why = "its label names no lane"
	case s.lanes[i].remote != nil:
		why = "the peer has that lane's channel open already"
	case !s.lanes[i].spec.fits(dc):
		why = "its QoS does not fit the lane"
	case s.channels >= maxSessionChannels:
		why = fmt.Sprintf("the session has had %d data channels", s.channels)
	}
	if why != "" {
		// Counted before it is closed: the peer (and a test) that sees it
		// closed finds it counted.
		s.refused++
		s.co.counters.RefusedChannels.Add(1)
		_ = rwc.Close()
		s.log.Warn("refused a data channel of the peer", "label", clip(dc.Label()), "why", why, "refused", s.refused)
		if s.refused >= maxRefusedChannels {
			s.stop(fmt.Errorf("%w: %s opened %d data channels that were refused", transport.ErrWireClosed, s.peer, s.refused))
		}
		return
	}
	s.channels++
	ls := s.lanes[i]
	ch := &dchan{dc: dc, rwc: rwc}
	ls.remote = ch
	s.watchLow(ls, dc)
	s.channelUp(ls, ch)
}

// channelUp adds an open channel to its lane and starts its reader.
func (s *session) channelUp(ls *laneState, ch *dchan) {
	cur := ls.open()
	next := append(slices.Clip(cur), ch)
	ls.chans.Store(&next)
	if ls.send.Load() == nil {
		ls.send.Store(ch)
		ls.openedOnce.Do(func() { close(ls.opened) })
	}
	s.notifyChannels()
	s.readers.Add(1)
	go s.read(ls, ch)
	if ls.idx == rpcReliable {
		s.checkReady()
	}
}

// channelGone handles the end of a channel's reader (err: why). A lane
// left with no channel ends the session, as any closed channel did
// before lanes could have two; one left with the other goes on with it.
func (s *session) channelGone(ls *laneState, ch *dchan, err error) {
	cur := ls.open()
	i := slices.Index(cur, ch)
	if i < 0 {
		return
	}
	next := slices.Delete(slices.Clone(cur), i, i+1)
	ls.chans.Store(&next)
	s.notifyChannels()
	if ls.remote == ch {
		ls.remote = nil
	}
	if len(next) == 0 {
		s.publish(transport.EventDataChannelClosed, ls.spec.label, err)
		if errors.Is(err, transport.ErrWireClosed) {
			s.stop(err)
		} else {
			s.stop(fmt.Errorf("%w: data channel %s closed: %w", transport.ErrWireClosed, ls.spec.label, err))
		}
		return
	}
	if ls.send.Load() == ch {
		ls.send.Store(next[0])
	}
	s.log.Debug("one of a lane's two data channels closed", "channel", ls.spec.label, "local", ch.local, "err", err)
}

// clip bounds a label a peer chose before it is logged.
func clip(label string) string {
	if len(label) > 64 {
		return label[:64] + "…"
	}
	return label
}
