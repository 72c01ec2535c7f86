package webrtc

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/actr-go/actr/transport"
)

// read is the only reader of one detached data channel: it reassembles
// messages and delivers them to the node's inbound queue of the channel's
// payload type. Deliver blocks while that queue is full, which holds this
// channel's reads and, through SCTP's receive window, pushes back on the
// sender, without holding up the other payload types (DESIGN F16).
//
// The loop only waits for input; received does the rest in its own
// frame. A reader spends its life blocked in ReadDataChannel, so its
// stack is what the loop's frame and pion's read path need, and the
// garbage collector shrinks it back after a message needed more: every
// idle channel of every session keeps one such stack.
//
// A reader whose channel ends tells the loop (channelGone), which decides
// whether the session goes on without the channel.
func (s *session) read(ls *laneState, ch *dchan) {
	defer s.readers.Done()
	rwc := ch.rwc
	// A reassembly deadline still set when the channel ends would keep
	// pion's timer goroutine for it alive until it fires: clear it.
	defer func() { _ = rwc.SetReadDeadline(time.Time{}) }()
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	var ra *reassembler
	if ls.spec.reliable() {
		ra = newReassembler(s.cfg.MaxMessageSize, s.cfg.ReassemblyTimeout)
		ra.budget = &reassemblyBudget{peer: &s.reassembly, all: &s.co.reassembly,
			peerMax: s.cfg.ReassemblyPeerBytes, allMax: s.cfg.ReassemblyBytes}
		defer ra.release()
	}
	var set time.Time // the deadline the channel has: none yet
	for {
		// A partly received message bounds the wait for its next fragment.
		// Set only on a change: each call takes the SCTP stream's lock,
		// which the association holds while it queues arriving data.
		var dl time.Time
		if ra != nil && ra.pending() {
			dl = ra.deadline
		}
		if !dl.Equal(set) {
			_ = rwc.SetReadDeadline(dl)
			set = dl
		}
		n, isString, err := rwc.ReadDataChannel(buf)
		if goOn, gone := s.received(ls, ra, buf, n, isString, err); !goOn {
			if gone != nil {
				s.post(func() { s.channelGone(ls, ch, gone) })
			}
			return
		}
	}
}

// readBufs recycles the readers' buffers. A reader needs one of
// MaxChannelMessage bytes for as long as its channel is open (pion drops a
// message that does not fit), so a session holds one per data channel;
// without the pool every new session allocated them afresh (256 KiB), and
// a node that connects and drops peers fed the garbage collector that
// much per connect. Nothing keeps a slice of buf past a read: messages are
// copied out of it (clone, reassembler.add).
var readBufs = sync.Pool{New: func() any {
	b := make([]byte, MaxChannelMessage)
	return &b
}}

// received handles what one ReadDataChannel returned: n bytes of buf, or
// err. It reports whether the reader goes on and, when it stops because
// its channel ended, why.
func (s *session) received(ls *laneState, ra *reassembler, buf []byte, n int, isString bool, err error) (goOn bool, gone error) {
	spec := ls.spec
	if err != nil {
		if s.ctx.Err() != nil {
			return false, nil
		}
		if errors.Is(err, os.ErrDeadlineExceeded) && ra != nil && ra.pending() {
			s.badInput(ls, fmt.Errorf("%w: message %d stalled after fragment %d of %d for over %v", ErrBadFragment, ra.msgID, ra.next, ra.total, ra.timeout), false)
			ra.reset()
			return true, nil
		}
		if errors.Is(err, io.ErrShortBuffer) {
			s.badInput(ls, fmt.Errorf("%w: a message over %d bytes", ErrBadFragment, MaxChannelMessage), true)
			return false, nil
		}
		return false, fmt.Errorf("%w: reading data channel %s: %w", transport.ErrWireClosed, spec.label, err)
	}
	if isString {
		s.badInput(ls, fmt.Errorf("%w: a text message", ErrBadFragment), true)
		return false, nil
	}
	var msg []byte
	if ra != nil {
		msg, err = ra.add(buf[:n], time.Now())
		if errors.Is(err, ErrReassemblyBudget) {
			// Not the stream's fault: the message is dropped, the
			// channel goes on.
			s.co.counters.ReassemblyRefused.Add(1)
			s.log.Warn("dropped a fragmented message over the reassembly budget", "channel", spec.label, "err", err)
			return true, nil
		}
		if err != nil {
			// The channel is ordered and reliable: a broken fragment
			// stream means a broken peer.
			s.badInput(ls, err, true)
			return false, nil
		}
	} else {
		f, err := parseFragment(buf[:n])
		if err == nil && f.total != 1 {
			err = fmt.Errorf("%w: fragment %d of %d on the unfragmented %s channel", ErrBadFragment, f.index, f.total, spec.label)
		}
		if err != nil {
			s.badInput(ls, err, false) // a single lossy message: drop it
			return true, nil
		}
		msg = clone(f.chunk)
	}
	if msg == nil {
		return true, nil
	}
	err = s.inbound.Deliver(s.ctx, transport.Message{From: s.peer, Type: spec.pt, Data: msg, Wire: transport.WireWebRTC})
	switch {
	case err == nil:
		s.co.counters.MessagesIn.Add(1)
		s.co.counters.BytesIn.Add(uint64(len(msg)))
	case s.ctx.Err() != nil:
		return false, nil
	case errors.Is(err, transport.ErrInboundFull), errors.Is(err, transport.ErrNoHandler):
		// Counted by the inbound queues.
	default:
		s.log.Warn("inbound delivery failed", "type", spec.pt, "err", err)
	}
	return true, nil
}

// badInput counts and logs a refused message; fatal ends the session
// (the peer is broken or hostile).
func (s *session) badInput(ls *laneState, err error, fatal bool) {
	s.co.counters.BadMessages.Add(1)
	s.log.Warn("refused a data channel message", "channel", ls.spec.label, "err", err, "closing", fatal)
	if fatal {
		s.stop(fmt.Errorf("%w: %s: %w", transport.ErrWireClosed, ls.spec.label, err))
	}
}
