package transport

import (
	"fmt"
	"slices"
	"time"
)

// Simultaneous dials. When two peers dial each other at once, each ends up
// with the connection it dialled and the one it accepted. Accepting sides
// (gates) settle it before any data flows: the peer whose ActorID orders
// first keeps its own dial and refuses the other's with ErrSuperseded, and
// the peer that orders second accepts. The refused dialler's pool lands
// here: it waits for the peer's connection to be adopted, then drops its
// own wire silently. If no replacement comes (the peer's dial failed, say
// because this node cannot be dialled), it retries, bounded by the dial
// timeout.

type replacementOutcome int

const (
	replaced replacementOutcome = iota // an adopted wire of the same kind is ready: m was dropped
	retry                              // no replacement yet: try connecting again
	gaveUp                             // refused for longer than the dial timeout
)

// awaitReplacement runs in m's goroutine after its connect was refused as a
// duplicate. since records when the first refusal happened.
func (p *WirePool) awaitReplacement(m *member, since *time.Time, cause error) replacementOutcome {
	now := time.Now()
	if since.IsZero() {
		*since = now
	}
	if now.Sub(*since) >= p.cfg.dialTimeout {
		return gaveUp
	}
	p.publish(Event{Kind: EventConnectAttemptFailed, WireID: m.id, WireKind: m.kind, Err: cause,
		Reason: "the peer keeps its own connection; waiting for it"})
	t := time.NewTimer(p.cfg.backoff.Initial)
	defer t.Stop()
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return replaced // the pool is closing; the caller just stops
		}
		if p.hasReadyOtherLocked(m) {
			m.state = WireClosed
			m.err = fmt.Errorf("%w: replaced by the peer's connection", ErrSuperseded)
			p.members = slices.DeleteFunc(p.members, func(c *member) bool { return c == m })
			p.rebuildLocked()
			p.mu.Unlock()
			_ = m.wire.Close()
			p.publish(Event{Kind: EventWireStateChanged, WireID: m.id, WireKind: m.kind, State: WireClosed, Err: m.err,
				Reason: "duplicate of the peer's connection"})
			return replaced
		}
		changed := p.current.Load().changed
		p.mu.Unlock()
		select {
		case <-changed:
		case <-t.C:
			return retry
		case <-p.ctx.Done():
			return replaced
		}
	}
}

func (p *WirePool) hasReadyOtherLocked(m *member) bool {
	for _, c := range p.members {
		if c != m && c.kind == m.kind && c.state == WireReady {
			return true
		}
	}
	return false
}
