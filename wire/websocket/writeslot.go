package websocket

import (
	"context"
	"sync/atomic"
)

// writeSlot is held by whoever writes a frame on a connection: one Send
// at a time, or the keepalive trimming the frame buffer. It is a lock a
// waiter can give up on (its ctx ends, or the connection dies).
//
// A channel of capacity one did this before, at a cost of about 370
// instructions a Send in the runtime's channel locks (callgrind, issue 7),
// as much as the rest of actr's send path. Here an uncontended take and
// release are one compare-and-swap and one store; the channel is used
// only when someone waits. A release with waiters hands the slot to one
// of them (the channel's receivers queue in order) instead of freeing it,
// so a sender that takes the slot back at once cannot starve the others.
type writeSlot struct {
	held    atomic.Bool
	waiters atomic.Int32
	// handoff carries the slot itself from a release to a waiter: while
	// a token is in it, held is true and nobody holds the slot; the next
	// waiter to receive it does. At most one token exists.
	handoff chan struct{}
}

func newWriteSlot() writeSlot { return writeSlot{handoff: make(chan struct{}, 1)} }

// tryTake takes the slot if it is free.
func (s *writeSlot) tryTake() bool { return s.held.CompareAndSwap(false, true) }

// take takes the slot, waiting until ctx ends or done is closed; it
// reports whether it has the slot. ok is false with the cause: ctx's
// error, or nil when done was closed.
func (s *writeSlot) take(ctx context.Context, done <-chan struct{}) (ok bool, err error) {
	if s.tryTake() {
		return true, nil
	}
	// Counted before the retry, so a release either sees this waiter or
	// lets the retry succeed.
	s.waiters.Add(1)
	defer s.waiters.Add(-1)
	if s.tryTake() {
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

// release gives the slot up: to a waiter if there is one, else free.
func (s *writeSlot) release() {
	s.held.Store(false)
	// A waiter counted before the store above is seen here; one counted
	// after it finds the slot free on its retry. Taking the slot back to
	// hand it over can fail only to someone who took it meanwhile, and
	// who will release it in turn.
	if s.waiters.Load() > 0 && s.tryTake() {
		s.handoff <- struct{}{} // never blocks: the only token
	}
}

// isHeld reports whether someone holds the slot or it is being handed over.
func (s *writeSlot) isHeld() bool { return s.held.Load() }
