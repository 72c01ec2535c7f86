package webrtc

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// ErrReassemblyBudget: a fragmented message was dropped because its
// buffer would have held more bytes than the peer's or the process's
// reassembly budget allows (Config.ReassemblyPeerBytes,
// Config.ReassemblyBytes). The channel goes on: the message's remaining
// fragments are skipped.
var ErrReassemblyBudget = errors.New("webrtc: reassembly byte budget exhausted")

// reassemblyBudget is what the buffers of the messages being reassembled
// may hold: per peer (its session's counter) and for the whole process
// (the Coordinator's). Counters move by the buffers' capacity, which is
// what they hold, as they grow.
type reassemblyBudget struct {
	peer, all       *atomic.Int64
	peerMax, allMax int64
}

// take reserves n bytes on both counters, or none.
func (b *reassemblyBudget) take(n int64) bool {
	if b.peer.Add(n) > b.peerMax {
		b.peer.Add(-n)
		return false
	}
	if b.all.Add(n) > b.allMax {
		b.all.Add(-n)
		b.peer.Add(-n)
		return false
	}
	return true
}

func (b *reassemblyBudget) give(n int64) {
	b.peer.Add(-n)
	b.all.Add(-n)
}

// reassembler rebuilds the messages of one ordered, reliable data channel.
// Fragments of a message arrive contiguously and in order there (the
// sending lane writes a message's fragments back to back under its write
// slot), so one message is in progress at a time; anything else is a
// broken or hostile peer, and the caller closes the wire.
//
// It is bounded in bytes (maxMessage: the first fragment announces the
// message's size, refused at once if too big; and the budget, if set,
// shared with the peer's other channels and every other peer) and in time
// (a message whose next fragment is later than timeout is dropped: the
// channel stalled mid-message, DESIGN F13). Its buffer grows with the
// bytes that arrived, never from the size announced. It is used by one
// goroutine.
type reassembler struct {
	maxMessage int
	timeout    time.Duration
	budget     *reassemblyBudget // nil: maxMessage only
	held       int64             // cap(buf), taken from budget

	active   bool
	skip     bool // the message is over budget: its fragments are checked, not kept
	msgID    uint32
	next     uint16
	total    uint16
	buf      []byte
	deadline time.Time
}

func newReassembler(maxMessage int, timeout time.Duration) *reassembler {
	return &reassembler{maxMessage: maxMessage, timeout: timeout}
}

// add takes one data channel message. It returns the whole message when b
// completes one (the caller owns it), nil while one is in progress, or an
// error when b cannot continue the stream; after an error the reassembler
// is reset.
func (r *reassembler) add(b []byte, now time.Time) ([]byte, error) {
	f, err := parseFragment(b)
	if err != nil {
		r.reset()
		return nil, err
	}
	if r.active && now.After(r.deadline) {
		id, next, total := r.msgID, r.next, r.total
		r.reset()
		return nil, fmt.Errorf("%w: message %d stalled after fragment %d of %d for over %v", ErrBadFragment, id, next, total, r.timeout)
	}
	if !r.active {
		if f.index != 0 {
			r.reset()
			return nil, fmt.Errorf("%w: message %d starts at fragment %d", ErrBadFragment, f.msgID, f.index)
		}
		if f.total == 1 {
			return clone(f.chunk), nil
		}
		// Every fragment but the last is full: this is the size, within
		// one chunk, before any of it is buffered.
		if min := (int(f.total) - 1) * MaxChunkSize; min > r.maxMessage {
			return nil, fmt.Errorf("%w: message %d announces %d fragments, at least %d bytes, over the %d-byte maximum", ErrBadFragment, f.msgID, f.total, min, r.maxMessage)
		}
		r.active, r.msgID, r.next, r.total = true, f.msgID, 1, f.total
		r.deadline = now.Add(r.timeout)
		r.buf = r.buf[:0]
		if !r.grow(len(f.chunk)) {
			return nil, r.overBudget(f.index)
		}
		r.buf = append(r.buf, f.chunk...)
		return nil, nil
	}
	if f.msgID != r.msgID || f.index != r.next || f.total != r.total {
		want := fmt.Sprintf("message %d fragment %d of %d", r.msgID, r.next, r.total)
		r.reset()
		return nil, fmt.Errorf("%w: got message %d fragment %d of %d, want %s", ErrBadFragment, f.msgID, f.index, f.total, want)
	}
	if r.skip {
		r.next++
		r.deadline = now.Add(r.timeout)
		if r.next == r.total {
			r.reset()
		}
		return nil, nil
	}
	if len(r.buf)+len(f.chunk) > r.maxMessage {
		r.reset()
		return nil, fmt.Errorf("%w: message %d grows over the %d-byte maximum", ErrBadFragment, f.msgID, r.maxMessage)
	}
	if !r.grow(len(f.chunk)) {
		return nil, r.overBudget(f.index)
	}
	r.buf = append(r.buf, f.chunk...)
	r.next++
	r.deadline = now.Add(r.timeout)
	if r.next < r.total {
		return nil, nil
	}
	msg := r.buf
	r.buf = nil // the caller owns msg
	r.giveAll()
	r.reset()
	return msg, nil
}

// grow makes room in buf for n more bytes, taking what the new capacity
// adds from the budget first; false if the budget refuses it. It doubles,
// as append would, but never past maxMessage, nor past what the bytes
// need when the doubling would go over the budget.
func (r *reassembler) grow(n int) bool {
	need := len(r.buf) + n
	if need <= cap(r.buf) {
		return true
	}
	newCap := min(max(need, 2*cap(r.buf)), max(need, r.maxMessage))
	if r.budget != nil {
		if !r.budget.take(int64(newCap - cap(r.buf))) {
			// Near the budget, ask for what the bytes need, no more.
			if newCap = need; !r.budget.take(int64(newCap - cap(r.buf))) {
				return false
			}
		}
		r.held += int64(newCap - cap(r.buf))
	}
	nb := make([]byte, len(r.buf), newCap)
	copy(nb, r.buf)
	r.buf = nb
	return true
}

// overBudget drops the message in progress: its buffer is given back and
// its remaining fragments will be skipped.
func (r *reassembler) overBudget(index uint16) error {
	r.buf = nil
	r.giveAll()
	r.skip = true
	return fmt.Errorf("%w: message %d dropped at fragment %d of %d", ErrReassemblyBudget, r.msgID, index, r.total)
}

// giveAll returns to the budget what buf held; buf is nil or handed over.
func (r *reassembler) giveAll() {
	if r.budget != nil && r.held != 0 {
		r.budget.give(r.held)
	}
	r.held = 0
}

// release gives back everything; the reassembler is done with.
func (r *reassembler) release() {
	r.reset()
	r.buf = nil
	r.giveAll()
}

// clone copies b into a new slice that is never nil, so that an empty
// message is told apart from "no message yet".
func clone(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// pending reports whether a message is partly received.
func (r *reassembler) pending() bool { return r.active }

func (r *reassembler) reset() {
	r.active, r.skip = false, false
	r.buf = r.buf[:0]
	if cap(r.buf) > 4*MaxChannelMessage {
		r.buf = nil // do not keep a big message's buffer for good
		r.giveAll()
	}
}
