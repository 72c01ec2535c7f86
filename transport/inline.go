package transport

import (
	"context"
	"sync/atomic"
	"time"
)

// Inline delivery. A wire's reader that hands every message to a handler
// goroutine pays a wake-up for each; between processes on a busy machine
// a wake-up that must start a thread costs tens of µs, most of a round
// trip (issue 22). When a message could be handled at once anyway (its
// queue is empty and a handler slot is free) the reader may run the
// handler itself. A handler that turns out slow must not keep the reader
// from the peer's other payload types or its keepalive for long: if it
// runs past InlineBudget, the wire is told to start another reader
// (takeover), and the one running the handler stops reading when it
// returns. Messages that arrive meanwhile queue behind it as they would
// behind a worker, so order per peer and payload type holds.

// InlineBudget is how long a handler may run on a wire's reader before
// the wire starts another reader.
const InlineBudget = time.Millisecond

// InlineDeliverer is implemented by the manager's Inbound.
type InlineDeliverer interface {
	// DeliverInline is Deliver, except that it may run the handler on the
	// calling goroutine, returning when the handler has. If the handler
	// runs past InlineBudget, the slot's takeover is called, at most once
	// a message, from another goroutine: it must start a new reader (with
	// a slot of its own), and handedOver then tells the caller, once the
	// handler has returned, that reading is no longer its job.
	DeliverInline(ctx context.Context, m Message, slot *InlineSlot) (handedOver bool, err error)
}

// InlineSlot is one reader goroutine's state for inline delivery, reused
// for every message it delivers (no allocation a message).
type InlineSlot struct {
	state    atomic.Int32 // 0 running, 1 returned, 2 taken over
	timer    *time.Timer
	takeover func()
}

// NewInlineSlot returns a slot whose budget, when a handler overruns it,
// calls takeover.
func NewInlineSlot(takeover func()) *InlineSlot {
	s := &InlineSlot{takeover: takeover}
	s.state.Store(1)
	s.timer = time.AfterFunc(time.Hour, s.expire)
	s.timer.Stop()
	return s
}

// Stop releases the slot's timer; the slot is not used after.
func (s *InlineSlot) Stop() { s.timer.Stop() }

// expire runs when a handler overran the budget. One that fires late,
// after its handler returned and the next began, takes that one over
// early: harmless, the reader stops after it.
func (s *InlineSlot) expire() {
	if s.state.CompareAndSwap(0, 2) {
		s.takeover()
	}
}

// DeliverInline implements InlineDeliverer.
func (in *inbox) DeliverInline(ctx context.Context, m Message, slot *InlineSlot) (bool, error) {
	if !validPayloadType(m.Type) || !m.Type.IsData() || in.handler == nil {
		return false, in.Deliver(ctx, m)
	}
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return false, in.Deliver(ctx, m)
	}
	p := in.peerLocked(m.From)
	l := &p.lanes[m.Type]
	free := in.workers - len(in.idle) + in.inline
	if l.scheduled || l.len() > 0 || in.runq.len() > 0 || free >= in.lim.Workers {
		in.forgetIfIdleLocked(p)
		in.mu.Unlock()
		return false, in.Deliver(ctx, m)
	}
	// The lane is held as a worker holds it: what arrives meanwhile
	// queues behind this message.
	l.scheduled = true
	p.active++
	in.inline++
	in.mu.Unlock()

	slot.state.Store(0)
	slot.timer.Reset(InlineBudget)
	in.handler.ServeMessage(in.ctx, m)
	slot.timer.Stop()
	m.recycle()
	in.delivered.Add(1)
	in.inlined.Add(1)
	handed := !slot.state.CompareAndSwap(0, 1)

	in.mu.Lock()
	in.inline--
	if l.len() > 0 && !in.closed {
		in.scheduleLocked(l) // still scheduled: a worker takes it on
	} else {
		l.scheduled = false
		p.active--
		in.forgetIfIdleLocked(p)
	}
	in.mu.Unlock()
	return handed, nil
}
