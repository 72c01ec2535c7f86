package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/actr-go/actr/protocol"
)

// OutprocManager carries messages to actors in other processes: one
// [DestTransport] per destination, created lazily by the first Send and
// shared by all later ones. It is safe for concurrent use.
type OutprocManager struct {
	local   protocol.ActorID
	builder WireBuilder
	cfg     config
	events  *EventBus
	in      *inbox
	log     *slog.Logger
	ctx     context.Context // ends when the manager closes; dials derive from it
	cancel  context.CancelFunc
	wg      sync.WaitGroup // dials, reapers and health checkers

	mu      sync.RWMutex
	entries map[Dest]*entry
	closed  bool
	stats   managerCounters // guarded by mu
	// dialsInFlight counts the dials started and not yet ended (mu).
	dialsInFlight int
	// sendErrors counts failed Sends by payload type (rare: one shared
	// counter is fine).
	sendErrors [protocol.PayloadTypeCount]atomic.Uint64

	// live holds dest → transport exactly for the entries that are
	// connected and not closing: the lock-free fast path of Send and
	// GetOrCreateTransport. Taking mu.RLock there made every sender write
	// the RWMutex's reader count, one cache line bouncing between cores.
	// It is written only with mu held, by syncLiveLocked after every
	// change to entries or to an entry's t or closing, so once a writer's
	// critical section ends no caller can get a closing or removed
	// transport from it.
	live liveIndex
}

// entry is the state of one destination: Connecting until settled, then
// Connected (t != nil) or removed with err. Guarded by OutprocManager.mu.
type entry struct {
	dest     Dest
	done     chan struct{} // closed when settled
	settled  bool
	t        *DestTransport
	err      error
	cancel   context.CancelFunc // cancels the dial
	closing  bool
	closedCh chan struct{} // closed when CloseTransport of this entry finished
	adopted  []Wire        // wires adopted while the dial was in flight
}

type managerCounters struct {
	dials, dialFailures, removed uint64
	healthRemoved                uint64
	sent                         laneTotals // of the removed transports
}

// NewOutprocManager returns a manager that dials destinations with builder
// on behalf of the local actor.
func NewOutprocManager(local protocol.ActorID, builder WireBuilder, opts ...Option) (*OutprocManager, error) {
	if builder == nil {
		return nil, errors.New("transport: NewOutprocManager needs a WireBuilder")
	}
	if local.IsZero() {
		return nil, fmt.Errorf("%w: the local ActorID is zero", ErrInvalidDest)
	}
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	m := &OutprocManager{
		local:   local,
		builder: builder,
		cfg:     cfg,
		events:  NewEventBus(),
		log:     cfg.logger,
		entries: make(map[Dest]*entry),
	}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.in = newInbox(cfg.handler, cfg.inbound, cfg.lendPayloads, cfg.logger)
	return m, nil
}

// LocalID returns the local actor's id.
func (m *OutprocManager) LocalID() protocol.ActorID { return m.local }

// Inbound returns where wires accepted from outside (a gate's inbound
// connections) deliver the messages they read.
func (m *OutprocManager) Inbound() Inbound { return m.in }

// Events returns the manager's event bus; Subscribe to it to observe
// connection events.
func (m *OutprocManager) Events() *EventBus { return m.events }

// Subscribe is shorthand for m.Events().Subscribe(buffer).
func (m *OutprocManager) Subscribe(buffer int) *Subscription { return m.events.Subscribe(buffer) }

// Send sends data to dest on the best ready lane for pt, connecting to dest
// first if needed. It returns when the lane has taken the message, or with
// an error when ctx ends, dest is invalid or closing, or no route exists.
func (m *OutprocManager) Send(ctx context.Context, dest Dest, pt protocol.PayloadType, data []byte) error {
	if !m.cfg.routes.hasLane(pt) {
		if validPayloadType(pt) {
			m.sendErrors[pt].Add(1)
		}
		return &NoRouteError{Dest: dest, PayloadType: pt, Reason: "the payload type has no data lane"}
	}
	t := m.live.load(dest)
	if t == nil {
		var err error
		if t, err = m.getOrCreate(ctx, dest); err != nil {
			m.sendErrors[pt].Add(1)
			return err
		}
	}
	// pt was checked above: t.send skips DestTransport.Send's re-check.
	err := t.send(ctx, pt, data)
	if err != nil {
		err = m.retrySend(ctx, dest, t, pt, data, err)
		if err != nil {
			m.sendErrors[pt].Add(1)
		}
	}
	return err
}

// retrySend handles a Send whose transport was removed under it (err
// matching ErrClosed): it dials afresh, once.
func (m *OutprocManager) retrySend(ctx context.Context, dest Dest, t *DestTransport, pt protocol.PayloadType, data []byte, err error) error {
	if !errors.Is(err, ErrClosed) {
		return err
	}
	if !m.replaced(dest, t) && t.pool.isClosed() {
		// Closed by its user (DestTransport.Close, or its pool's) while
		// still dest's transport: take it out now rather than when its
		// close callback's reap runs.
		m.reap(t, reasonClosedByUser)
	}
	if m.replaced(dest, t) {
		// t was removed (its wires died and it was reaped, or it was
		// closed) while this Send was using it: dial afresh, once.
		if t, err = m.GetOrCreateTransport(ctx, dest); err != nil {
			return err
		}
		err = t.send(ctx, pt, data)
	}
	return err
}

// holds reports whether t is its destination's transport, not being
// closed, in an open manager.
func (m *OutprocManager) holds(t *DestTransport) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[t.pool.dest]
	return !m.closed && e != nil && e.t == t && !e.closing
}

// replaced reports whether t is no longer dest's transport while the
// manager is open and dest is not being closed.
func (m *OutprocManager) replaced(dest Dest, t *DestTransport) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[dest]
	return !m.closed && (e == nil || (e.t != t && !e.closing))
}

// GetOrCreateTransport returns dest's transport, dialing dest if there is
// none. Exactly one dial runs per destination however many goroutines ask;
// each caller waits for it until its own ctx ends, and a caller giving up
// does not cancel the dial for the others.
func (m *OutprocManager) GetOrCreateTransport(ctx context.Context, dest Dest) (*DestTransport, error) {
	if t := m.live.load(dest); t != nil {
		return t, nil
	}
	return m.getOrCreate(ctx, dest)
}

// getOrCreate is GetOrCreateTransport's slow path: dest has no live
// transport, so it may be invalid, dialling, closing, or not known yet.
func (m *OutprocManager) getOrCreate(ctx context.Context, dest Dest) (*DestTransport, error) {
	if err := dest.validOutproc(); err != nil {
		return nil, err
	}
	return m.getOrDial(ctx, dest)
}

func (m *OutprocManager) getOrDial(ctx context.Context, dest Dest) (*DestTransport, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: manager", ErrClosed)
	}
	e := m.entries[dest]
	switch {
	case e == nil:
		if err := m.limitLocked(true); err != nil {
			m.mu.Unlock()
			return nil, err
		}
		// The creator is decided in the same critical section that inserts
		// the Connecting entry (DESIGN F2).
		e = m.startDialLocked(dest)
	case e.closing:
		m.mu.Unlock()
		return nil, closingError(dest)
	case e.t != nil:
		t := e.t
		m.mu.Unlock()
		return t, nil
	}
	done := e.done
	m.mu.Unlock()

	if h := m.cfg.hooks; h != nil && h.beforeWait != nil {
		h.beforeWait(dest)
	}
	// done is closed when the attempt ends, whenever that is: a waiter
	// cannot miss the completion (DESIGN F1).
	select {
	case <-done:
	case <-ctx.Done():
		return nil, ctxError(ctx, "waiting for the dial of "+dest.String())
	}
	m.mu.RLock()
	t, err := e.t, e.err
	m.mu.RUnlock()
	return t, err
}

func closingError(dest Dest) error {
	return fmt.Errorf("%w: %s; retry after CloseTransport returns", ErrClosing, dest)
}

func (m *OutprocManager) startDialLocked(dest Dest) *entry {
	ctx, cancel := context.WithTimeout(m.ctx, m.cfg.dialTimeout)
	e := &entry{dest: dest, done: make(chan struct{}), cancel: cancel}
	m.entries[dest] = e
	m.syncLiveLocked(dest) // a no-op (e has no transport yet), so that every change to entries is synced
	m.stats.dials++
	m.dialsInFlight++
	m.wg.Add(1)
	go m.dial(ctx, e)
	return e
}

// limitLocked refuses one more destination (and, with dial, one more dial
// in flight) beyond the configured limits.
func (m *OutprocManager) limitLocked(dial bool) error {
	if len(m.entries) >= m.cfg.maxDests {
		return fmt.Errorf("%w: %d held (WithMaxDests); close idle destinations or raise the limit", ErrTooManyDests, len(m.entries))
	}
	if dial && m.dialsInFlight >= m.cfg.maxDials {
		return fmt.Errorf("%w: %d in flight (WithMaxPendingDials); retry when some finish or raise the limit", ErrTooManyDials, m.dialsInFlight)
	}
	return nil
}

// dial runs the builder for e and commits the result only if e is still
// the current entry of its destination; otherwise what was built is closed
// (DESIGN F3, F4).
func (m *OutprocManager) dial(ctx context.Context, e *entry) {
	defer m.wg.Done()
	defer e.cancel()
	wires, err := m.builder.Build(ctx, m.buildRequest(e.dest, nil))
	if h := m.cfg.hooks; h != nil && h.afterBuild != nil {
		h.afterBuild(e.dest)
	}
	if err == nil && len(wires) == 0 {
		err = ErrNoWires
	}
	if err != nil {
		closeWires(wires)
		wires = nil
	}
	// The wires are members of the new transport's pool before anyone can
	// see it, so that a sender never finds it without a route. They start
	// connecting only once the transport is committed.
	var t *DestTransport
	var members []*member
	if len(wires) > 0 {
		t = m.newTransport(e.dest)
		for _, w := range wires {
			if mb := t.pool.register(w, false); mb != nil {
				members = append(members, mb)
			}
		}
	}
	m.mu.Lock()
	// The dial is over whatever comes of it: counted out before anyone
	// waiting for it can learn the outcome.
	m.dialsInFlight--
	if m.closed || e.settled || m.entries[e.dest] != e {
		m.mu.Unlock()
		if t != nil {
			t.abandon(members)
		}
		return
	}
	adopted := e.adopted
	e.adopted = nil
	if t == nil && len(adopted) == 0 {
		cerr := &ConnectError{Dest: e.dest, Err: err}
		delete(m.entries, e.dest)
		m.stats.dialFailures++
		m.settleLocked(e, nil, cerr)
		m.syncLiveLocked(e.dest)
		m.mu.Unlock()
		m.log.Debug("dial failed", "dest", e.dest, "err", err)
		m.events.Publish(Event{Kind: EventDialFailed, Dest: e.dest, Err: cerr})
		return
	}
	if t == nil {
		t = m.newTransport(e.dest)
	}
	var adoptedMembers []*member
	for _, w := range adopted {
		if mb := t.pool.register(w, true); mb != nil {
			adoptedMembers = append(adoptedMembers, mb)
		}
	}
	m.settleLocked(e, t, nil)
	m.syncLiveLocked(e.dest)
	m.mu.Unlock()
	m.log.Debug("transport created", "dest", e.dest, "transport", t.id, "wires", len(members), "adopted", len(adoptedMembers))
	m.events.Publish(Event{Kind: EventTransportCreated, Dest: e.dest, TransportID: t.id})
	for _, mb := range members {
		t.pool.start(mb)
	}
	for _, mb := range adoptedMembers {
		t.pool.start(mb)
	}
}

func (m *OutprocManager) buildRequest(dest Dest, kinds []WireKind) BuildRequest {
	return BuildRequest{Local: m.local, Dest: dest, Kinds: kinds, Inbound: m.in, Events: m.events}
}

func (m *OutprocManager) settleLocked(e *entry, t *DestTransport, err error) {
	if e.settled {
		return
	}
	e.settled = true
	e.t, e.err = t, err
	close(e.done)
}

// syncLiveLocked makes live agree with entries for dest. Call it, with mu
// held, after any change to entries[dest] or to that entry's t or closing.
func (m *OutprocManager) syncLiveLocked(dest Dest) {
	if e := m.entries[dest]; e != nil && e.t != nil && !e.closing {
		m.live.put(e.t)
		if h := m.cfg.hooks; h != nil && h.livePut != nil {
			h.livePut(e.t)
		}
	} else {
		m.live.remove(dest)
	}
}

func (m *OutprocManager) newTransport(dest Dest) *DestTransport {
	t := &DestTransport{id: TransportID(lastTransportID.Add(1)), routes: &m.cfg.routes}
	if m.cfg.sendStats {
		t.pool.sent = &laneCounters{}
	}
	t.pool.init(m.ctx, dest, t.id, &m.cfg, m.events, m.cfg.hooks,
		func() { m.reapAsync(t, "every wire failed") },
		// A transport its user closed leaves the manager, so the next
		// Send dials afresh. (When the manager closed it, it is no
		// longer dest's transport, or is marked closing.)
		func() {
			if m.holds(t) {
				m.reapAsync(t, reasonClosedByUser)
			}
		})
	return t
}

// reapAsync runs reap in a goroutine of the manager's, so that the pool
// goroutine reporting its death never waits for its own pool to close.
func (m *OutprocManager) reapAsync(t *DestTransport, reason string) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		m.reap(t, reason)
	}()
}

// reap removes t if it is still the transport of its destination, and
// closes it. A stale reap, about a transport that has since been closed
// and replaced, leaves the newer one alone (DESIGN F5).
func (m *OutprocManager) reap(t *DestTransport, reason string) (removed bool) {
	if h := m.cfg.hooks; h != nil && h.beforeReap != nil {
		h.beforeReap(t)
	}
	if h := m.cfg.hooks; h != nil && h.afterReap != nil {
		defer func() { h.afterReap(t, removed) }()
	}
	m.mu.Lock()
	e := m.entries[t.pool.dest]
	if m.closed || e == nil || e.t != t || e.closing || t.pool.live() {
		// Stale, or revived since the reap was decided: a wire was
		// adopted into the pool (Adopt registers under m.mu, so it
		// cannot slip in between this check and the removal).
		m.mu.Unlock()
		return false
	}
	delete(m.entries, t.pool.dest)
	m.syncLiveLocked(t.pool.dest)
	m.stats.removed++
	if reason == reasonHealthCheck || t.pool.failedByHealthCheck() {
		m.stats.healthRemoved++
	}
	m.stats.sent.addFrom(t.pool.sent)
	m.mu.Unlock()
	_ = t.Close()
	m.log.Debug("transport removed", "dest", t.pool.dest, "reason", reason)
	m.events.Publish(Event{Kind: EventTransportRemoved, Dest: t.pool.dest, TransportID: t.id, Reason: reason})
	return true
}

// Adopt makes w, a wire already connected by someone else (typically a
// gate that accepted the peer's connection and authenticated it), one of
// dest's wires, so that messages to dest can travel on it. If dest has no
// transport one is created. Adopt takes ownership of w: on error w is closed.
func (m *OutprocManager) Adopt(ctx context.Context, dest Dest, w Wire) error {
	if err := dest.validOutproc(); err != nil {
		_ = w.Close()
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = w.Close()
		return ctxError(ctx, "adopt")
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		_ = w.Close()
		return fmt.Errorf("%w: manager", ErrClosed)
	}
	e := m.entries[dest]
	var t *DestTransport
	created := false
	switch {
	case e == nil:
		if err := m.limitLocked(false); err != nil {
			m.mu.Unlock()
			_ = w.Close()
			return err
		}
		e = &entry{dest: dest, done: make(chan struct{}), cancel: func() {}}
		t = m.newTransport(dest)
		created = true
	case e.closing:
		m.mu.Unlock()
		_ = w.Close()
		return closingError(dest)
	case !e.settled:
		e.adopted = append(e.adopted, w)
		m.mu.Unlock()
		m.events.Publish(Event{Kind: EventWireAdopted, Dest: dest, WireID: w.ID(), WireKind: w.Kind()})
		return nil
	default:
		t = e.t
	}
	// Registered under m.mu: a reap of t decided before this (its pool
	// had no live wire) sees the new member and backs off.
	mb := t.pool.register(w, true)
	if created {
		// Published only now, with its wire a member: a Send that finds
		// the transport through the lock-free index must never see it
		// without a route (it would fail with ErrNoRoute at once).
		m.settleLocked(e, t, nil)
		m.entries[dest] = e
		m.syncLiveLocked(dest)
	}
	m.mu.Unlock()
	if created {
		m.log.Debug("transport created", "dest", dest, "transport", t.id, "wires", 0, "adopted", 1)
		m.events.Publish(Event{Kind: EventTransportCreated, Dest: dest, TransportID: t.id})
	}
	m.events.Publish(Event{Kind: EventWireAdopted, Dest: dest, TransportID: t.id, WireID: w.ID(), WireKind: w.Kind()})
	if mb != nil {
		t.pool.start(mb)
	}
	return nil
}

// IsClosing reports whether dest is being closed by CloseTransport.
func (m *OutprocManager) IsClosing(dest Dest) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[dest]
	return e != nil && e.closing
}

// CloseTransport closes dest's transport, or cancels its dial in flight.
// While it runs, IsClosing(dest) is true and Send and
// GetOrCreateTransport to dest fail fast with ErrClosing; waiters of a
// cancelled dial get ErrClosing. If another CloseTransport of dest is
// already running, this one waits for it until ctx ends.
func (m *OutprocManager) CloseTransport(ctx context.Context, dest Dest) error {
	m.mu.Lock()
	e := m.entries[dest]
	if e == nil {
		m.mu.Unlock()
		return nil
	}
	if e.closing {
		ch := e.closedCh
		m.mu.Unlock()
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctxError(ctx, "waiting for another close of "+dest.String())
		}
	}
	if !e.settled {
		// A dial is in flight: cancel it, fail its waiters and forget the
		// entry. The dial goroutine closes whatever it builds (DESIGN F3).
		e.cancel()
		m.settleLocked(e, nil, closingError(dest))
		adopted := e.adopted
		e.adopted = nil
		delete(m.entries, dest)
		m.syncLiveLocked(dest)
		m.mu.Unlock()
		closeWires(adopted)
		return nil
	}
	e.closing = true
	e.closedCh = make(chan struct{})
	m.syncLiveLocked(dest) // from here on the fast path no longer returns t
	t := e.t
	m.mu.Unlock()

	if h := m.cfg.hooks; h != nil && h.closing != nil {
		h.closing(t)
	}
	err := t.CloseContext(ctx)
	m.mu.Lock()
	if m.entries[dest] == e {
		delete(m.entries, dest)
		m.syncLiveLocked(dest)
	}
	m.stats.removed++
	m.stats.sent.addFrom(t.pool.sent)
	m.mu.Unlock()
	close(e.closedCh)
	m.events.Publish(Event{Kind: EventTransportRemoved, Dest: dest, TransportID: t.id, Reason: "closed"})
	return err
}

// CloseAll closes every transport and cancels every dial in flight. The
// manager stays usable.
func (m *OutprocManager) CloseAll(ctx context.Context) error {
	m.mu.RLock()
	dests := make([]Dest, 0, len(m.entries))
	for d := range m.entries {
		dests = append(dests, d)
	}
	m.mu.RUnlock()
	var errs []error
	for _, d := range dests {
		if err := m.CloseTransport(ctx, d); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// closeConcurrency bounds the transports Shutdown closes at once: their
// flushes overlap, and a manager of many thousands does not start as many
// goroutines at once.
const closeConcurrency = 256

// Close is Shutdown bounded by the close grace alone (WithCloseGrace).
func (m *OutprocManager) Close() error { return m.Shutdown(context.Background()) }

// Shutdown closes every transport, stops the health checkers and the
// inbound handlers, and waits for every goroutine the manager started.
// The transports are closed at once, each first flushing what Sends
// accepted until ctx or the close grace ends (see WirePool.CloseContext):
// data still unsent then makes the error match ErrUnflushed. Later calls
// to the manager return ErrClosed. Shutdown and Close are idempotent.
func (m *OutprocManager) Shutdown(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	var transports []*DestTransport
	var orphans []Wire
	for d, e := range m.entries {
		if !e.settled {
			e.cancel()
			m.settleLocked(e, nil, fmt.Errorf("%w: manager closed while dialing %s", ErrClosed, d))
			orphans = append(orphans, e.adopted...)
			e.adopted = nil
		} else if e.t != nil {
			transports = append(transports, e.t)
		}
	}
	clear(m.entries)
	m.live.clear()
	m.mu.Unlock()

	closeWires(orphans)
	errs := make([]error, len(transports))
	var closing sync.WaitGroup
	slots := make(chan struct{}, closeConcurrency)
	for i, t := range transports {
		slots <- struct{}{}
		closing.Go(func() {
			defer func() { <-slots }()
			errs[i] = t.CloseContext(ctx)
			m.events.Publish(Event{Kind: EventTransportRemoved, Dest: t.pool.dest, TransportID: t.id, Reason: "manager closed"})
		})
	}
	closing.Wait()
	// Dials and pools derive from m.ctx: cancelled after the flushes, which
	// run on the pools' own wires.
	m.cancel()
	m.wg.Wait()
	m.in.close()
	m.events.Close()
	return errors.Join(errs...)
}

// DestCount returns how many destinations have a transport (connected,
// not closing). Dials in flight are not counted.
func (m *OutprocManager) DestCount() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n := 0
	for _, e := range m.entries {
		if e.t != nil && !e.closing {
			n++
		}
	}
	return n
}

// ListDests returns the destinations that have a transport.
func (m *OutprocManager) ListDests() []Dest {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]Dest, 0, len(m.entries))
	for d, e := range m.entries {
		if e.t != nil && !e.closing {
			out = append(out, d)
		}
	}
	return out
}

// HasDest reports whether dest has a transport.
func (m *OutprocManager) HasDest(dest Dest) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[dest]
	return e != nil && e.t != nil && !e.closing
}

// Transport returns dest's transport if it has one, without dialing.
func (m *OutprocManager) Transport(dest Dest) (*DestTransport, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e := m.entries[dest]
	if e == nil || e.t == nil || e.closing {
		return nil, false
	}
	return e.t, true
}

// Stats is a snapshot of the manager's counters.
type Stats struct {
	Dests        int    // destinations with a transport
	Dials        uint64 // dials started
	DialFailures uint64 // dials whose builder failed
	Removed      uint64 // transports removed (closed, reaped or health-checked)
	// HealthRemoved counts the transports the health checker removed
	// (no healthy wire for two checks), out of Removed.
	HealthRemoved uint64
	// Sent counts the messages handed to a lane, by payload type and
	// wire kind (only the non-zero pairs).
	Sent []LaneCount
	// SendErrors counts the Sends that returned an error, by payload type.
	SendErrors [protocol.PayloadTypeCount]uint64
	Inbound    InboundStats
	// Unflushed counts the wires closed with data their Sends had
	// accepted still unsent (the close's grace or ctx ended first).
	Unflushed uint64
}

// Stats returns a snapshot of the manager's counters.
func (m *OutprocManager) Stats() Stats {
	n := m.DestCount()
	m.mu.RLock()
	c := m.stats
	sent := c.sent
	for _, e := range m.entries {
		if e.t != nil {
			sent.addFrom(e.t.pool.sent)
		}
	}
	m.mu.RUnlock()
	st := Stats{Dests: n, Dials: c.dials, DialFailures: c.dialFailures, Removed: c.removed, HealthRemoved: c.healthRemoved,
		Sent: sent.counts(), Inbound: m.in.stats(), Unflushed: m.cfg.unflushed.Load()}
	for pt := range st.SendErrors {
		st.SendErrors[pt] = m.sendErrors[pt].Load()
	}
	return st
}

func closeWires(ws []Wire) {
	for _, w := range ws {
		if w != nil {
			_ = w.Close()
		}
	}
}

// Dialling reports whether this node is itself connecting to dest over a
// wire of kind k: a dial of dest is in flight, or dest's pool has a wire of
// kind k that it dialled and that is connecting or ready. A gate uses it to
// settle simultaneous dials (see [ErrSuperseded]).
func (m *OutprocManager) Dialling(dest Dest, k WireKind) bool {
	m.mu.RLock()
	e := m.entries[dest]
	if e == nil || e.closing {
		m.mu.RUnlock()
		return false
	}
	t, settled := e.t, e.settled
	m.mu.RUnlock()
	if t == nil {
		return !settled
	}
	return t.pool.dialling(k)
}
