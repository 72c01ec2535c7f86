package websocket

import (
	"context"
	"sync"
	"sync/atomic"
)

// stallGuard closes the connection when the ctx of the Send writing a
// frame ends before the frame is on the socket: a peer that stopped
// reading holds the write, and a frame cannot be abandoned half-written.
//
// A context.AfterFunc registration costs allocations and a lock on the
// ctx's parent, so the guard keeps the one it made for the last Send's
// ctx and reuses it while Sends come with a ctx that ends when that one
// does: the same Done channel, as an application's root ctx, a stream's
// ctx, or values added to either (context.WithValue keeps its parent's
// Done). Comparing Done channels rather than the ctxs themselves also
// keeps a ctx of an uncomparable type from panicking the comparison. A
// Send whose ctx has another Done replaces the registration; closing the
// Conn drops it, so a closed Conn is not kept reachable from a ctx.
//
// The registration and done are owned by the write slot's holder; state
// is shared with the registration's callback: the registration's
// generation in the high bits, its phase in the low two.
type stallGuard struct {
	mu   sync.Mutex      // guards stop and dead against release (Close)
	done <-chan struct{} // Done of the ctx registered; read by the write slot's holder
	stop func() bool
	gen  uint64 // the current registration's generation
	dead bool   // released: no new registrations

	abort func() // closes the connection; set once, before any Send

	state atomic.Uint64 // gen<<2 | phase
}

// The phases of a guarded frame write (0: no registration yet).
const (
	guardIdle    uint64 = iota + 1 // no frame, or the frame is written
	guardWriting                   // the frame is being written
	guardAborted                   // ctx ended first; the connection is closed
)

// begin marks the holder's frame as being written under ctx (which can
// end) and reports false if ctx has ended already: nothing may be
// written then. g.abort runs, once, if ctx ends before end is called.
func (g *stallGuard) begin(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return false
	default:
	}
	if d := ctx.Done(); g.done != d {
		// Once released (the Conn is closing) nothing is registered:
		// the write fails on its own.
		g.register(ctx)
	}
	writing := g.gen<<2 | guardWriting
	g.state.Store(writing)
	// A ctx that ended before the phase was stored may have run the
	// callback already, with nothing to abort: look again.
	select {
	case <-ctx.Done():
		if g.state.CompareAndSwap(writing, g.gen<<2|guardIdle) {
			return false
		}
		return true // the callback won: end reports the abort
	default:
		return true
	}
}

// end reports whether the frame was written before ctx ended.
func (g *stallGuard) end() bool {
	return g.state.CompareAndSwap(g.gen<<2|guardWriting, g.gen<<2|guardIdle)
}

// register replaces the registration with one for ctx, unless the guard
// was released.
func (g *stallGuard) register(ctx context.Context) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.dead {
		return
	}
	if g.stop != nil {
		g.stop()
	}
	g.gen++
	gen := g.gen
	g.state.Store(gen<<2 | guardIdle)
	g.done = ctx.Done()
	g.stop = context.AfterFunc(ctx, func() {
		if g.state.CompareAndSwap(gen<<2|guardWriting, gen<<2|guardAborted) {
			g.abort()
		}
	})
}

// release drops the registration for good.
func (g *stallGuard) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.dead = true
	if g.stop != nil {
		g.stop()
		g.stop = nil
	}
}
