package webrtc

import (
	"fmt"
	"time"
)

// reassembler rebuilds the messages of one ordered, reliable data channel.
// Fragments of a message arrive contiguously and in order there (the
// sending lane writes a message's fragments back to back under its write
// slot), so one message is in progress at a time; anything else is a
// broken or hostile peer, and the caller closes the wire.
//
// It is bounded in bytes (maxMessage: the first fragment announces the
// message's size, refused at once if too big) and in time (a message whose
// next fragment is later than timeout is dropped: the channel stalled
// mid-message, DESIGN F13). It is used by one goroutine.
type reassembler struct {
	maxMessage int
	timeout    time.Duration

	active   bool
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
		r.buf = append(r.buf[:0], f.chunk...)
		r.deadline = now.Add(r.timeout)
		return nil, nil
	}
	if f.msgID != r.msgID || f.index != r.next || f.total != r.total {
		want := fmt.Sprintf("message %d fragment %d of %d", r.msgID, r.next, r.total)
		r.reset()
		return nil, fmt.Errorf("%w: got message %d fragment %d of %d, want %s", ErrBadFragment, f.msgID, f.index, f.total, want)
	}
	if len(r.buf)+len(f.chunk) > r.maxMessage {
		r.reset()
		return nil, fmt.Errorf("%w: message %d grows over the %d-byte maximum", ErrBadFragment, f.msgID, r.maxMessage)
	}
	r.buf = append(r.buf, f.chunk...)
	r.next++
	r.deadline = now.Add(r.timeout)
	if r.next < r.total {
		return nil, nil
	}
	msg := r.buf
	r.buf = nil // the caller owns msg
	r.reset()
	return msg, nil
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
	r.active = false
	r.buf = r.buf[:0]
	if cap(r.buf) > 4*MaxChannelMessage {
		r.buf = nil // do not keep a big message's buffer for good
	}
}
