package transport

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/actr-go/actr/protocol"
)

// TransportID identifies one DestTransport for the life of the process.
type TransportID uint64

var lastTransportID atomic.Uint64

// DestTransport carries messages to one destination over the wires of its
// [WirePool]. It is created by an [OutprocManager]; get it with
// [OutprocManager.GetOrCreateTransport].
type DestTransport struct {
	pool   WirePool // first: see WirePool.current
	id     TransportID
	routes *RouteTable
}

// ID returns the transport's identity.
func (t *DestTransport) ID() TransportID { return t.id }

// Dest returns the destination the transport carries messages to.
func (t *DestTransport) Dest() Dest { return t.pool.dest }

// Pool returns the transport's wires.
func (t *DestTransport) Pool() *WirePool { return &t.pool }

// Send transmits data on the best ready lane for pt: the lanes of pt's
// route, best wire kind first, taking the first whose wire is ready. If no
// lane is ready, Send waits for the pool's ready set to change (without
// polling) until ctx ends. A lane that reports closed is refreshed and the
// send is retried once. Send returns a *NoRouteError at once when no wire
// that could carry pt is ready or can still become ready.
func (t *DestTransport) Send(ctx context.Context, pt protocol.PayloadType, data []byte) error {
	if !t.routes.hasLane(pt) {
		return t.noRoute(pt, "the payload type has no data lane", nil)
	}
	return t.send(ctx, pt, data)
}

// send is Send for a pt already known to have a lane (OutprocManager.Send
// has checked it), which also makes rs.lanes[pt] in range.
func (t *DestTransport) send(ctx context.Context, pt protocol.PayloadType, data []byte) error {
	retried := false
	var laneErr error // why the lane tried first reported closed
retry:
	for {
		rs := t.pool.current.Load()
		lanes := rs.lanes[pt].refs
		for i := range lanes {
			ref := &lanes[i]
			if !ref.wire.Ready() {
				continue
			}
			err := ref.lane.Send(ctx, data)
			if err == nil {
				if ref.sent != nil {
					ref.sent.add(pt, ref.kind, len(data))
				}
				return nil
			}
			if !retried && errors.Is(err, ErrLaneClosed) && ctx.Err() == nil {
				retried, laneErr = true, err
				t.pool.refreshLane(ref.id, pt, ref.lane)
				continue retry
			}
			return err
		}
		switch {
		case rs.dead: // before closed: a dead pool is closed when reaped, and the cause matters more
			return t.noRoute(pt, "every wire failed", orErr(rs.cause, laneErr))
		case rs.closed:
			return fmt.Errorf("%w: transport to %s", ErrClosed, t.pool.dest)
		case !rs.routable[pt]:
			return t.noRoute(pt, "no wire of the destination can carry it", orErr(rs.cause, laneErr))
		}
		select {
		case <-rs.changed:
		case <-ctx.Done():
			return ctxError(ctx, "waiting for a ready lane to "+t.pool.dest.String())
		}
	}
}

// orErr returns err, or else fallback.
func orErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

func (t *DestTransport) noRoute(pt protocol.PayloadType, reason string, cause error) error {
	return &NoRouteError{Dest: t.pool.dest, PayloadType: pt, Reason: reason, Cause: cause}
}

// Healthy reports whether at least one wire is ready.
func (t *DestTransport) Healthy() bool {
	rs := t.pool.current.Load()
	for i := range rs.lanes {
		if len(rs.lanes[i].refs) > 0 {
			return true
		}
	}
	return false
}

// Close closes every wire of the transport and waits for its goroutines,
// first flushing what was sent, within the manager's close grace (see
// WirePool.CloseContext). The transport then leaves its manager: the
// next Send to its destination dials afresh.
func (t *DestTransport) Close() error { return t.pool.Close() }

// CloseContext is Close, flushing until ctx ends (or the close grace).
func (t *DestTransport) CloseContext(ctx context.Context) error { return t.pool.CloseContext(ctx) }

// abandon closes a transport that was never committed, whose registered
// members were never started.
func (t *DestTransport) abandon(registered []*member) {
	for range registered {
		t.pool.wg.Done()
	}
	_ = t.pool.Close()
}

// LaneInfo is the route of one payload type to a destination right now:
// the wires whose lanes can carry it, best first. A Send takes the first
// one that is ready when it runs.
type LaneInfo struct {
	PayloadType protocol.PayloadType
	Wires       []LaneWire
}

// LaneWire is one wire of a lane route.
type LaneWire struct {
	ID   WireID
	Kind WireKind
}

// Lanes returns the current route of every data payload type.
func (t *DestTransport) Lanes() []LaneInfo {
	rs := t.pool.current.Load()
	var out []LaneInfo
	for _, pt := range protocol.DataPayloadTypes() {
		li := LaneInfo{PayloadType: pt}
		for _, ref := range rs.lanes[pt].refs {
			li.Wires = append(li.Wires, LaneWire{ID: ref.id, Kind: ref.kind})
		}
		out = append(out, li)
	}
	return out
}
