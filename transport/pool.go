package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actr-go/actr/protocol"
)

// WirePool holds every wire of one destination. It connects them all at
// once, retries each with exponential backoff, and publishes the set of
// ready lanes to any number of watchers (see Watch).
type WirePool struct {
	// current and dest come first: they open their DestTransport, and a
	// Send through the live index reads nothing else of it (one cache
	// line when cold).
	current atomic.Pointer[readySet]
	dest    Dest
	sent    *laneCounters // nil unless WithSendStats; copied into each laneRef
	tid     TransportID
	cfg     *config
	events  *EventBus
	log     *slog.Logger
	onDead  func() // called once, from a pool goroutine, when no wire can recover
	// onClosed is called once, by the first Close, when it has finished.
	onClosed func()
	hooks    *testHooks
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu           sync.Mutex
	members      []*member
	closed       bool
	dead         bool
	reconnecting bool
	healthFailed bool // the health checker failed some of its wires
	lastErr      error
}

// member is one wire in the pool. All fields but wire, id and kind are
// guarded by WirePool.mu.
type member struct {
	wire     Wire
	id       WireID
	kind     WireKind
	adopted  bool
	state    WireState
	lanes    [protocol.PayloadTypeCount]Lane
	attempts int
	suspect  bool // not Ready at the last health check
	err      error
}

// readySet is an immutable picture of the lanes usable right now. A new one
// replaces it whenever a wire changes state; changed is closed then, which
// wakes every sender waiting for a lane.
type readySet struct {
	lanes    [protocol.PayloadTypeCount]laneList
	routable [protocol.PayloadTypeCount]bool // some wire that may still carry it is ready or connecting
	changed  chan struct{}
	closed   bool
	dead     bool
	cause    error
}

// laneList is the lanes of one payload type, best first. refs lives in
// inline while it fits: a Send then finds its lane next to the list
// instead of at the end of one more pointer.
type laneList struct {
	refs   []laneRef
	inline [2]laneRef
}

type laneRef struct {
	lane Lane
	wire Wire
	sent *laneCounters // the transport's, nil unless WithSendStats
	id   WireID
	kind WireKind
}

// init prepares a zero WirePool, in place: it lives inside its
// DestTransport, so that a Send reaches the ready set without following
// one more pointer.
func (p *WirePool) init(ctx context.Context, dest Dest, tid TransportID, cfg *config, events *EventBus, hooks *testHooks, onDead, onClosed func()) {
	p.dest, p.tid, p.cfg, p.events, p.log, p.hooks, p.onDead, p.onClosed = dest, tid, cfg, events, cfg.logger, hooks, onDead, onClosed
	p.ctx, p.cancel = context.WithCancel(ctx)
	p.current.Store(&readySet{changed: make(chan struct{})})
}

// WireInfo describes one wire of a pool.
type WireInfo struct {
	ID       WireID
	Kind     WireKind
	State    WireState
	Adopted  bool  // accepted from the peer rather than dialled
	Attempts int   // connect attempts made
	Err      error // why it failed, if it did
}

// Wires returns a snapshot of the pool's wires.
func (p *WirePool) Wires() []WireInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]WireInfo, 0, len(p.members))
	for _, m := range p.members {
		out = append(out, WireInfo{ID: m.id, Kind: m.kind, State: m.state, Adopted: m.adopted, Attempts: m.attempts, Err: m.err})
	}
	return out
}

// Watch returns the ids of the wires ready now and a channel that is closed
// when that set (or the pool's state) changes. It never blocks.
func (p *WirePool) Watch() (ready []WireID, changed <-chan struct{}) {
	rs := p.current.Load()
	seen := map[WireID]bool{}
	for i := range rs.lanes {
		for _, r := range rs.lanes[i].refs {
			if !seen[r.id] {
				seen[r.id] = true
				ready = append(ready, r.id)
			}
		}
	}
	slices.Sort(ready)
	return ready, rs.changed
}

// WaitReady blocks until at least one wire is ready, the pool can no longer
// become ready, or ctx ends.
func (p *WirePool) WaitReady(ctx context.Context) error {
	for {
		rs := p.current.Load()
		for i := range rs.lanes {
			if len(rs.lanes[i].refs) > 0 {
				return nil
			}
		}
		if rs.closed {
			return fmt.Errorf("%w: wire pool of %s", ErrClosed, p.dest)
		}
		if rs.dead {
			return &NoRouteError{Dest: p.dest, Reason: "every wire failed", Cause: rs.cause}
		}
		select {
		case <-rs.changed:
		case <-ctx.Done():
			return ctxError(ctx, "waiting for a ready wire to "+p.dest.String())
		}
	}
}

// register makes w a Connecting member, so that senders see it as a route
// that may become ready, without starting it yet. It returns nil (and
// closes w) if the pool is closed, or nil if w is already a member.
func (p *WirePool) register(w Wire, adopted bool) *member {
	p.mu.Lock()
	m, closed := p.registerLocked(w, adopted)
	if m != nil {
		p.rebuildLocked()
	}
	p.mu.Unlock()
	if closed {
		_ = w.Close()
	}
	return m
}

// registerLocked is register with p.mu held and without publishing a new
// ready set; closed reports that w must be closed (the pool is).
func (p *WirePool) registerLocked(w Wire, adopted bool) (m *member, closed bool) {
	if p.closed {
		return nil, true
	}
	for _, old := range p.members {
		if old.id == w.ID() {
			return nil, false
		}
	}
	m = &member{wire: w, id: w.ID(), kind: w.Kind(), adopted: adopted, state: WireConnecting}
	p.members = append(p.members, m)
	p.dead = false
	p.wg.Add(1)
	return m, false
}

// start runs a registered member.
func (p *WirePool) start(m *member) {
	p.publish(Event{Kind: EventWireStateChanged, WireID: m.id, WireKind: m.kind, State: WireConnecting})
	go p.run(m)
}

// run owns one member: connects it (unless adopted), publishes it as ready,
// and watches for its death.
func (p *WirePool) run(m *member) {
	defer p.wg.Done()
	if !m.adopted && !p.connect(m) {
		return
	}
	if h := p.hooks; h != nil && h.afterConnect != nil {
		h.afterConnect(m.wire)
	}
	var lanes [protocol.PayloadTypeCount]Lane
	for _, pt := range protocol.DataPayloadTypes() {
		if p.cfg.routes.rank(pt, m.kind) < 0 {
			continue
		}
		if l, err := m.wire.Lane(pt); err == nil && l != nil {
			lanes[pt] = l
		}
	}
	p.mu.Lock()
	if p.closed || m.state != WireConnecting {
		// Closed (or failed) while connecting: the late success must not
		// resurrect the wire in a dead pool (DESIGN F6).
		p.mu.Unlock()
		_ = m.wire.Close()
		return
	}
	m.lanes = lanes
	m.state = WireReady
	m.err = nil
	p.rebuildLocked()
	p.mu.Unlock()
	p.publish(Event{Kind: EventWireStateChanged, WireID: m.id, WireKind: m.kind, State: WireReady})

	rn, _ := m.wire.(ReadyNotifier)
	for {
		var readyChanged <-chan struct{} // nil (never fires) unless the wire is a ReadyNotifier
		if rn != nil {
			readyChanged = rn.ReadyChanged()
		}
		select {
		case <-m.wire.Done():
			err := fmt.Errorf("%w: %s wire %d to %s went down", ErrWireClosed, m.kind, m.id, p.dest)
			if we, ok := m.wire.(WireErr); ok && we.Err() != nil {
				err = fmt.Errorf("%w: %s wire %d to %s went down: %w", ErrWireClosed, m.kind, m.id, p.dest, we.Err())
			}
			p.fail(m, err)
			return
		case <-readyChanged:
			// Wake senders waiting for a ready lane; the lanes themselves
			// are unchanged (Send checks Ready per message).
			p.mu.Lock()
			if m.state == WireReady && !p.closed {
				p.rebuildLocked()
			}
			p.mu.Unlock()
		case <-p.ctx.Done():
			return
		}
	}
}

// connect runs the connect attempts of a member; it reports success.
func (p *WirePool) connect(m *member) bool {
	bo := p.cfg.backoff
	var superseded time.Time // when the peer first refused this wire as a duplicate
	for attempt := 1; ; attempt++ {
		p.mu.Lock()
		m.attempts = attempt
		p.mu.Unlock()
		cctx, cancel := context.WithTimeout(p.ctx, p.cfg.connectTimeout)
		err := m.wire.Connect(cctx)
		cancel()
		if err == nil {
			return true
		}
		if p.ctx.Err() != nil {
			_ = m.wire.Close()
			return false
		}
		if errors.Is(err, ErrSuperseded) {
			switch p.awaitReplacement(m, &superseded, err) {
			case replaced:
				return false
			case retry:
				attempt-- // a refused duplicate is not a failed attempt
				continue
			case gaveUp:
				p.fail(m, &ConnectError{Dest: p.dest, Kind: m.kind, Attempts: attempt, Err: err})
				return false
			}
		}
		p.publish(Event{Kind: EventConnectAttemptFailed, WireID: m.id, WireKind: m.kind, Err: err,
			Reason: fmt.Sprintf("attempt %d of %d", attempt, bo.Attempts)})
		if attempt >= bo.Attempts || errors.Is(err, ErrPeerUnknown) || errors.Is(err, ErrRefused) {
			p.fail(m, &ConnectError{Dest: p.dest, Kind: m.kind, Attempts: attempt, Err: err})
			return false
		}
		t := time.NewTimer(bo.Delay(attempt - 1))
		select {
		case <-t.C:
		case <-p.ctx.Done():
			t.Stop()
			_ = m.wire.Close()
			return false
		}
	}
}

// fail marks a member failed and closes its wire. It is a no-op if the
// member is no longer in the pool or already finished, so a stale report
// about an old wire never touches a newer one (DESIGN F5).
func (p *WirePool) fail(m *member, err error) {
	p.mu.Lock()
	if p.closed || m.state == WireFailed || m.state == WireClosed || !slices.Contains(p.members, m) {
		p.mu.Unlock()
		_ = m.wire.Close()
		return
	}
	m.state = WireFailed
	m.err = err
	m.lanes = [protocol.PayloadTypeCount]Lane{}
	p.lastErr = err
	dead := p.checkDeadLocked()
	p.rebuildLocked()
	p.mu.Unlock()
	_ = m.wire.Close()
	p.log.Debug("wire failed", "dest", p.dest, "wire", m.id, "kind", m.kind, "err", err)
	p.publish(Event{Kind: EventWireStateChanged, WireID: m.id, WireKind: m.kind, State: WireFailed, Err: err})
	if dead && p.onDead != nil {
		p.onDead()
	}
}

// live reports whether the pool is open and has a wire that is ready or
// may become ready (or a reconnect under way).
func (p *WirePool) live() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.reconnecting {
		return true
	}
	for _, m := range p.members {
		if m.state == WireReady || m.state == WireConnecting {
			return true
		}
	}
	return false
}

// checkDeadLocked decides whether no wire can recover any more; it reports
// true exactly once per transition to dead.
func (p *WirePool) checkDeadLocked() bool {
	if p.dead || p.reconnecting {
		return false
	}
	for _, m := range p.members {
		if m.state == WireReady || m.state == WireConnecting {
			return false
		}
	}
	p.dead = true
	return true
}

// rebuildLocked publishes a new readySet and wakes every waiter.
func (p *WirePool) rebuildLocked() {
	rs := &readySet{changed: make(chan struct{}), closed: p.closed, dead: p.dead, cause: p.lastErr}
	if !p.closed {
		for _, pt := range protocol.DataPayloadTypes() {
			l := &rs.lanes[pt]
			l.refs = l.inline[:0]
			for _, m := range p.members {
				if p.cfg.routes.rank(pt, m.kind) < 0 {
					continue
				}
				switch m.state {
				case WireConnecting:
					rs.routable[pt] = true
				case WireReady:
					if m.lanes[pt] != nil {
						rs.routable[pt] = true
						l.refs = append(l.refs, laneRef{lane: m.lanes[pt], wire: m.wire, sent: p.sent, id: m.id, kind: m.kind})
					}
				}
			}
			if p.reconnecting {
				rs.routable[pt] = true
			}
			// Best kind first; among equals, the older wire first.
			slices.SortStableFunc(l.refs, func(a, b laneRef) int {
				return p.cfg.routes.rank(pt, a.kind) - p.cfg.routes.rank(pt, b.kind)
			})
		}
	}
	old := p.current.Swap(rs)
	close(old.changed)
	if h := p.hooks; h != nil && h.published != nil {
		h.published(p)
	}
}

// refreshLane asks the wire for a fresh lane after old reported closed. If
// the wire has none, the wire no longer carries pt.
func (p *WirePool) refreshLane(id WireID, pt protocol.PayloadType, old Lane) {
	p.mu.Lock()
	var m *member
	for _, c := range p.members {
		if c.id == id && c.state == WireReady && c.lanes[pt] == old {
			m = c
		}
	}
	p.mu.Unlock()
	if m == nil {
		return // already refreshed or gone
	}
	fresh, err := m.wire.Lane(pt)
	if err == nil && fresh == old {
		fresh = nil // the wire handed back the lane that just failed
	}
	p.mu.Lock()
	if p.closed || m.state != WireReady || m.lanes[pt] != old {
		p.mu.Unlock()
		return
	}
	m.lanes[pt] = fresh
	p.rebuildLocked()
	p.mu.Unlock()
	p.publish(Event{Kind: EventLaneClosed, WireID: m.id, WireKind: m.kind, Reason: pt.String(), Err: err})
}

// poolHealth is what the health checker sees.
type poolHealth struct {
	ready, connecting, failed int
}

// checkHealth examines the wires: a wire the pool thinks is ready but that
// no longer reports Ready is suspect; suspect at two checks in a row, it is
// failed (a peer stuck half-dead is reaped within two intervals, DESIGN F14).
func (p *WirePool) checkHealth() poolHealth {
	// Ask the ready wires first, with no lock held: a Wire's Ready may
	// take its own locks, or block (DESIGN F11).
	p.mu.Lock()
	var asked []*member
	for _, m := range p.members {
		if m.state == WireReady {
			asked = append(asked, m)
		}
	}
	p.mu.Unlock()
	ready := make(map[*member]bool, len(asked))
	for _, m := range asked {
		ready[m] = m.wire.Ready()
	}

	p.mu.Lock()
	var stale []*member
	var h poolHealth
	for _, m := range p.members {
		switch m.state {
		case WireReady:
			isReady, seen := ready[m]
			if !seen || isReady {
				// Ready now, or it became ready after the question was
				// asked: its next check will tell.
				m.suspect = false
				h.ready++
				continue
			}
			if _, ok := m.wire.(ReadyNotifier); ok {
				// It recovers by itself (an ICE restart) and closes Done
				// when it gives up: its own bound, not ours.
				h.connecting++
				continue
			}
			if m.suspect {
				stale = append(stale, m)
				h.failed++
				continue
			}
			m.suspect = true
			h.ready++
		case WireConnecting:
			h.connecting++
		case WireFailed:
			h.failed++
		}
	}
	if len(stale) > 0 {
		p.healthFailed = true
	}
	p.mu.Unlock()
	for _, m := range stale {
		p.fail(m, fmt.Errorf("%w: %s wire %d to %s stayed not ready across two health checks", ErrWireClosed, m.kind, m.id, p.dest))
	}
	return h
}

// reconnect asks the builder for new wires of the kinds that failed and
// have no ready or connecting replacement, and starts them; ready and
// connecting wires are left alone. It runs in the background; at most one
// reconnect runs per pool.
func (p *WirePool) reconnect(b WireBuilder, req BuildRequest) {
	p.mu.Lock()
	if p.closed || p.dead || p.reconnecting {
		p.mu.Unlock()
		return
	}
	var kinds []WireKind
	for _, m := range p.members {
		if m.state == WireFailed && !slices.Contains(kinds, m.kind) && !p.hasLiveKindLocked(m.kind) {
			kinds = append(kinds, m.kind)
		}
	}
	if len(kinds) == 0 {
		p.mu.Unlock()
		return
	}
	p.reconnecting = true
	p.rebuildLocked()
	p.wg.Add(1)
	p.mu.Unlock()
	req.Kinds = kinds
	p.publish(Event{Kind: EventReconnectStarted, Reason: fmt.Sprint(kinds)})
	go func() {
		defer p.wg.Done()
		ctx, cancel := context.WithTimeout(p.ctx, p.cfg.dialTimeout)
		wires, err := b.Build(ctx, req)
		cancel()
		var keep []Wire
		for _, w := range wires {
			if slices.Contains(kinds, w.Kind()) {
				keep = append(keep, w)
			} else {
				_ = w.Close()
			}
		}
		p.mu.Lock()
		p.reconnecting = false
		if err == nil && len(keep) > 0 && !p.closed {
			// The failed wires of the rebuilt kinds are replaced.
			p.members = slices.DeleteFunc(p.members, func(m *member) bool {
				return m.state == WireFailed && slices.Contains(kinds, m.kind)
			})
		}
		if err != nil {
			p.lastErr = &ConnectError{Dest: p.dest, Err: err}
		}
		// The new wires are members in the same ready set that drops
		// the failed ones and ends the reconnect: a sender must never
		// see a moment with neither (no route, though one is coming).
		var fresh []*member
		var refused []Wire
		for _, w := range keep {
			switch m, closed := p.registerLocked(w, false); {
			case m != nil:
				fresh = append(fresh, m)
			case closed:
				refused = append(refused, w)
			}
		}
		dead := len(keep) == 0 && p.checkDeadLocked()
		p.rebuildLocked()
		p.mu.Unlock()
		closeWires(refused)
		if err != nil {
			p.publish(Event{Kind: EventDialFailed, Err: err, Reason: "reconnect"})
		}
		for _, m := range fresh {
			p.start(m)
		}
		if dead && p.onDead != nil {
			p.onDead()
		}
	}()
}

func (p *WirePool) hasLiveKindLocked(k WireKind) bool {
	for _, m := range p.members {
		if m.kind == k && (m.state == WireReady || m.state == WireConnecting) {
			return true
		}
	}
	return false
}

// Close closes the pool as CloseContext does, flushing within the
// manager's close grace (WithCloseGrace).
func (p *WirePool) Close() error { return p.CloseContext(context.Background()) }

// CloseContext closes every wire, wakes every waiter with ErrClosed, and
// waits for the pool's goroutines to end. Before a ready wire is closed,
// what its lanes accepted is flushed to the peer ([Flusher]), until ctx
// or the close grace ends; data still unsent then is reported in an error
// matching ErrUnflushed (and counted), and the wire is closed anyway.
// Sends from then on fail with ErrClosed; a Send already writing finishes
// first.
func (p *WirePool) CloseContext(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		p.wg.Wait()
		return nil
	}
	p.closed = true
	members := slices.Clone(p.members)
	var ready []*member
	for _, m := range members {
		if m.state == WireReady {
			ready = append(ready, m)
		}
		if m.state != WireFailed {
			m.state = WireClosed
		}
		m.lanes = [protocol.PayloadTypeCount]Lane{}
	}
	p.rebuildLocked()
	p.mu.Unlock()
	if h := p.hooks; h != nil && h.poolClosed != nil {
		h.poolClosed(p)
	}
	gctx, cancel := p.cfg.graceCtx(ctx)
	errs := []error{flushAll(gctx, p.dest, ready, p.cfg.unflushed)}
	cancel()
	p.cancel()
	for _, m := range members {
		if err := m.wire.Close(); err != nil && !errors.Is(err, ErrWireClosed) {
			errs = append(errs, err)
		}
	}
	p.wg.Wait()
	if p.onClosed != nil {
		p.onClosed()
	}
	return errors.Join(errs...)
}

// isClosed reports whether Close has been called.
func (p *WirePool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *WirePool) publish(ev Event) {
	ev.Dest = p.dest
	ev.TransportID = p.tid
	p.events.Publish(ev)
}

// dialling reports whether the pool has a wire of kind k that it dialled
// and that is connecting or ready.
func (p *WirePool) dialling(k WireKind) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.members {
		if m.kind == k && !m.adopted && (m.state == WireConnecting || m.state == WireReady) {
			return true
		}
	}
	return false
}

// failedByHealthCheck reports whether the health checker failed some of
// the pool's wires: if the pool then dies, the checker removed it.
func (p *WirePool) failedByHealthCheck() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.healthFailed
}
