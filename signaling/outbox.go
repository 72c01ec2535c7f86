package signaling

import (
	"sync"
	"sync/atomic"
)

// outbox is a session's outbound queue, bounded in envelopes and in bytes.
// Bytes stay charged until written, so the envelope being written counts
// too: what the server holds for a client that stops reading is bounded by
// the budget, whatever the envelopes' sizes.
type outbox struct {
	maxCount, budget int
	held             *atomic.Int64 // the server's gauge of queued bytes
	ready            chan struct{} // capacity 1: something was queued

	mu     sync.Mutex
	q      [][]byte
	bytes  int
	closed bool
}

func newOutbox(maxCount, budget int, held *atomic.Int64) *outbox {
	return &outbox{maxCount: maxCount, budget: budget, held: held, ready: make(chan struct{}, 1)}
}

// push queues b; it reports false, queueing nothing, when b does not fit
// or the outbox is closed. A besteffort envelope (a relay from another
// actor, a rate-limit refusal) may fill only three quarters of the
// outbox: the rest is kept for the server's own answers and events, so
// that nobody can get a client disconnected by relaying to it faster than
// it reads.
func (o *outbox) push(b []byte, besteffort bool) bool {
	maxCount, budget := o.maxCount, o.budget
	if besteffort {
		maxCount, budget = o.relayRoom()
	}
	o.mu.Lock()
	if o.closed || len(o.q) >= maxCount || o.bytes+len(b) > budget {
		o.mu.Unlock()
		return false
	}
	o.q = append(o.q, b)
	o.bytes += len(b)
	o.mu.Unlock()
	o.held.Add(int64(len(b)))
	select {
	case o.ready <- struct{}{}:
	default:
	}
	return true
}

// pop takes the oldest envelope; its bytes stay charged until written.
func (o *outbox) pop() ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.q) == 0 {
		return nil, false
	}
	b := o.q[0]
	o.q[0] = nil
	o.q = o.q[1:]
	return b, true
}

// written releases the bytes of an envelope pop returned.
func (o *outbox) written(n int) {
	o.mu.Lock()
	o.bytes -= n
	o.mu.Unlock()
	o.held.Add(-int64(n))
}

// close refuses further envelopes and releases the queued ones. The
// envelope being written, if any, is released by its written call.
func (o *outbox) close() {
	o.mu.Lock()
	n := 0
	for _, b := range o.q {
		n += len(b)
	}
	o.q, o.closed = nil, true
	o.bytes -= n
	o.mu.Unlock()
	o.held.Add(-int64(n))
}

// count returns the envelopes queued.
func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.q)
}

// relayRoom returns the envelopes and bytes best-effort envelopes may fill.
func (o *outbox) relayRoom() (int, int) {
	return max(1, o.maxCount-o.maxCount/4), o.budget - o.budget/4
}
