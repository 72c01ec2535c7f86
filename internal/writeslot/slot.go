// Package writeslot is the lock a wire's writer holds while it writes one
// message: a lock a waiter can give up on, when its ctx ends or the
// connection dies.
package writeslot

import (
	"context"
	"sync/atomic"
)

// Slot is held by whoever writes on a connection: one Send at a time (or,
// on a WebSocket, the keepalive trimming the frame buffer). The zero
// value is not ready: use New.
//
// A channel of capacity one did this before, at a cost of about 370
// instructions a Send in the runtime's channel locks (callgrind, issue 7),
// as much as the rest of actr's send path. Here an uncontended take and
// release are one compare-and-swap and one store; the channel is used
// only when someone waits. A release with waiters hands the slot to one
// of them (the channel's receivers queue in order) instead of freeing it,
// so a sender that takes the slot back at once cannot starve the others.
type Slot struct {
	held    atomic.Bool
	waiters atomic.Int32
	// handoff carries the slot itself from a release to a waiter: while
	// a token is in it, held is true and nobody holds the slot; the next
	// waiter to receive it does. At most one token exists.
	handoff chan struct{}
}

// New returns a free slot.
func New() Slot { return Slot{handoff: make(chan struct{}, 1)} }

// TryTake takes the slot if it is free.
func (s *Slot) TryTake() bool { return s.held.CompareAndSwap(false, true) }

// Take takes the slot, waiting until ctx ends or done is closed; it
// reports whether it has the slot. ok is false with the cause: ctx's
// error, or nil when done was closed.
func (s *Slot) Take(ctx context.Context, done <-chan struct{}) (ok bool, err error) {
	if s.TryTake() {
		return true, nil
	}
	// Counted before the retry, so a release either sees this waiter or
	// lets the retry succeed.
	s.waiters.Add(1)
	defer s.waiters.Add(-1)
	if s.TryTake() {
		return true, nil
	}
	select {
	case <-s.handoff:
		return true, nil
	case <-ctx.Done():
		return false, ctx.Err()
	case <-done:
		return false, nil
	}
}

// Release gives the slot up: to a waiter if there is one, else free.
func (s *Slot) Release() {
	s.held.Store(false)
	// A waiter counted before the store above is seen here; one counted
	// after it finds the slot free on its retry. Taking the slot back to
	// hand it over can fail only to someone who took it meanwhile, and
	// who will release it in turn.
	if s.waiters.Load() > 0 && s.TryTake() {
		s.handoff <- struct{}{} // never blocks: the only token
	}
}

// IsHeld reports whether someone holds the slot or it is being handed over.
func (s *Slot) IsHeld() bool { return s.held.Load() }
