package webrtc

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
)

// Signaler is what a Coordinator needs of the signaling service.
// *signaling.Client implements it.
type Signaler interface {
	// NegotiateRole asks which of this actor and peer offers; the service
	// tells the peer the opposite, so it starts its side.
	NegotiateRole(ctx context.Context, peer protocol.ActorID) (offerer bool, err error)
	SendSessionDescription(target protocol.ActorID, sd *protocol.SessionDescription) error
	SendIceCandidate(target protocol.ActorID, c *protocol.IceCandidate) error
	// Relays delivers what peers relayed to this actor. The Coordinator is
	// its only reader.
	Relays() <-chan signaling.Relay
}

// Acceptor takes the Conns of peers that connected to this node.
// *transport.OutprocManager implements it.
type Acceptor interface {
	Inbound() transport.Inbound
	Events() *transport.EventBus
	Adopt(ctx context.Context, dest transport.Dest, w transport.Wire) error
}

// ErrCoordinatorClosed: the Coordinator has been closed.
var ErrCoordinatorClosed = errors.New("webrtc: coordinator closed")

// ErrSessionRefused: the peer refused the session this node asked for,
// because it is setting up as many sessions for other peers as it takes
// (its Config.MaxInboundSetups). The attempt failed at once; retry later.
var ErrSessionRefused = errors.New("webrtc: the peer refused the session: it is setting up as many as it takes; retry later")

// errSetupsFull and errPeerSetups are why an inbound session is refused.
var (
	errSetupsFull = errors.New("webrtc: refused a session: Config.MaxInboundSetups sessions are being set up")
	errPeerSetups = errors.New("webrtc: refused a session: the peer already has one being set up")
)

// maxSetupsPerPeer is how many inbound sessions being set up one peer may
// hold: the current one, and the one it started before, still ending.
// A peer that starts over again and again while its sessions end is
// refused instead of making a PeerConnection each time.
const maxSetupsPerPeer = 2

// maxRefusalsPerSecond bounds the refusals sent back through signaling:
// beyond it refused peers are not told (they time out), so a flood of
// strangers cannot make this node exceed the signaling service's rate
// limit with its own answers.
const maxRefusalsPerSecond = 20

// Coordinator runs the WebRTC side of one node: it keeps at most one
// session (PeerConnection) per peer, routes the offers, answers and
// candidates relayed by the signaling service to the session they belong
// to, and accepts the sessions peers start.
//
// Sessions are identified: a relayed message reaches only the session it
// was meant for, and a session that ended is forgotten only if it is
// still the current one, so nothing stale touches a newer session
// (DESIGN F5).
type Coordinator struct {
	cfg      *settings
	sig      Signaler
	counters Counters
	acceptor atomic.Pointer[acceptorBox]

	mu     sync.Mutex
	slots  map[protocol.ActorID]*slot
	closed bool
	// The inbound sessions being set up (made for a peer, not ready,
	// not yet ended): in all, and per peer (Config.MaxInboundSetups).
	setups     int
	peerSetups map[protocol.ActorID]int
	// pending holds the setups that made a session, oldest first, so that
	// a full cap can give the oldest's place to a newcomer.
	pending    []*setup
	setupsPeak int           // the most setups ever held at once (tests)
	setupsCh   chan struct{} // closed and replaced when setups changes (tests)
	// The refusals sent in the current one-second window, of refusalRate
	// (maxRefusalsPerSecond; tests raise it).
	refusalWindow time.Time
	refusalsSent  int
	refusalRate   int
	// refusals queues the peers to tell, for refusalLoop: the relay loop
	// never waits on signaling I/O.
	refusals chan protocol.ActorID
	// reassembly is the bytes all sessions' reassembly buffers hold
	// (Config.ReassemblyBytes).
	reassembly atomic.Int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// candidateAdded, if set (tests), sees every remote candidate line
	// handed to ICE, trickled or in a description.
	candidateAdded func(line string)

	muxOnce sync.Once // closes the shared UDP sockets (Config.UDPMux)
	muxErr  error
}

// slot is a peer's place in the Coordinator: reserved (s nil) while its
// one PeerConnection is being made, then holding the session. Reserving
// first means two paths racing to connect the same peer (our dial and
// the peer's offer) never make two PeerConnections; what is relayed for
// a reserved slot waits in queued until the session exists.
type slot struct {
	s      *session
	queued []func(*session)
}

// setup is an inbound session's place among Config.MaxInboundSetups,
// from reserveInbound until releaseSetup, which runs once.
type setup struct {
	peer     protocol.ActorID
	s        *session // set once the session is made (co.mu)
	started  time.Time
	released bool // co.mu
}

// maxQueued bounds what waits for a reserved slot's session.
const maxQueued = maxPendingCandidates + 8

type acceptorBox struct{ a Acceptor }

// NewCoordinator returns a Coordinator that signals through sig. It reads
// sig.Relays() until Close. Call Accept to take inbound connections.
func NewCoordinator(sig Signaler, cfg Config) (*Coordinator, error) {
	if sig == nil {
		return nil, errors.New("webrtc: NewCoordinator needs a Signaler (a *signaling.Client)")
	}
	st, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	co := &Coordinator{cfg: st, sig: sig, slots: make(map[protocol.ActorID]*slot),
		peerSetups: make(map[protocol.ActorID]int), setupsCh: make(chan struct{}), refusalRate: maxRefusalsPerSecond,
		refusals: make(chan protocol.ActorID, maxRefusalsPerSecond), ctx: ctx, cancel: cancel}
	co.wg.Add(2)
	go co.relayLoop()
	go co.refusalLoop()
	return co, nil
}

// Accept makes the Coordinator accept the sessions peers start, and hand
// each one, once ready, to a.Adopt. Without it, peers' offers are refused.
func (co *Coordinator) Accept(a Acceptor) { co.acceptor.Store(&acceptorBox{a: a}) }

// Counters returns the Coordinator's counters.
func (co *Coordinator) Counters() *Counters { return &co.counters }

// Wire returns a new, unconnected Conn to peer that delivers what it reads
// to in and publishes its events on events (may be nil).
func (co *Coordinator) Wire(peer protocol.ActorID, in transport.Inbound, events *transport.EventBus) *Conn {
	return co.newConn(peer, in, events)
}

// Sessions reports how many sessions (PeerConnections) are open.
func (co *Coordinator) Sessions() int {
	co.mu.Lock()
	defer co.mu.Unlock()
	n := 0
	for _, sl := range co.slots {
		if sl.s != nil {
			n++
		}
	}
	return n
}

// InboundSetups reports how many sessions peers started are being set up
// (not yet ready), against Config.MaxInboundSetups.
func (co *Coordinator) InboundSetups() int {
	co.mu.Lock()
	defer co.mu.Unlock()
	return co.setups
}

// ReassemblyBytes reports how many bytes the buffers of fragmented
// messages being reassembled hold, against Config.ReassemblyBytes.
func (co *Coordinator) ReassemblyBytes() int64 { return co.reassembly.Load() }

// Conn returns the connected Conn to peer, if there is one.
func (co *Coordinator) Conn(peer protocol.ActorID) (*Conn, bool) {
	s := co.current(peer)
	if s == nil || s.owner == nil || s.owner.cur.Load() != s {
		return nil, false
	}
	return s.owner, true
}

// Close closes every session and stops reading relays; it returns when
// every goroutine and PeerConnection of the Coordinator is gone.
func (co *Coordinator) Close() error {
	co.mu.Lock()
	co.closed = true
	sessions := make([]*session, 0, len(co.slots))
	for _, sl := range co.slots {
		if sl.s != nil {
			sessions = append(sessions, sl.s)
		}
	}
	co.mu.Unlock()
	co.cancel()
	for _, s := range sessions {
		s.close(ErrCoordinatorClosed)
	}
	co.wg.Wait()
	// The shared sockets outlive every session that used them.
	co.muxOnce.Do(func() { co.muxErr = co.cfg.close() })
	return co.muxErr
}

// errSessionExists is returned by Connect when the peer already has a
// session (it connected to us first): the pool then waits for that
// session's Conn to be adopted.
func errSessionExists(peer protocol.ActorID) error {
	return fmt.Errorf("%w: a WebRTC session with %s already exists", transport.ErrSuperseded, peer)
}

// open creates the session of an outbound Conn, unless the peer already
// has one (or one is being made).
func (co *Coordinator) open(c *Conn, r role) (*session, error) {
	sl, err := co.reserve(c.peer)
	if err != nil {
		return nil, err
	}
	s, err := co.newSession(c.peer, c.id, c.in, c.events, r)
	if err != nil {
		co.unreserve(c.peer, sl)
		return nil, err
	}
	s.dialled = true
	if !co.install(sl, s, c) {
		s.close(ErrCoordinatorClosed)
		return nil, ErrCoordinatorClosed
	}
	return s, nil
}

// reserve takes peer's slot, or fails if it is taken or the Coordinator
// is closed.
func (co *Coordinator) reserve(peer protocol.ActorID) (*slot, error) {
	co.mu.Lock()
	defer co.mu.Unlock()
	if co.closed {
		return nil, ErrCoordinatorClosed
	}
	if co.slots[peer] != nil {
		return nil, errSessionExists(peer)
	}
	sl := &slot{}
	co.slots[peer] = sl
	return sl, nil
}

func (co *Coordinator) unreserve(peer protocol.ActorID, sl *slot) {
	co.mu.Lock()
	if co.slots[peer] == sl {
		delete(co.slots, peer)
	}
	co.mu.Unlock()
}

// install puts s in its reserved slot and hands it what was queued
// meanwhile. It fails if the Coordinator was closed meanwhile.
func (co *Coordinator) install(sl *slot, s *session, owner *Conn) bool {
	s.owner = owner
	s.onEnd = co.forget
	s.onDeath = owner.sessionEnded
	co.mu.Lock()
	if co.closed || co.slots[s.peer] != sl {
		if co.slots[s.peer] == sl {
			delete(co.slots, s.peer)
		}
		co.mu.Unlock()
		return false
	}
	sl.s = s
	queued := sl.queued
	sl.queued = nil
	co.counters.Sessions.Add(1)
	co.mu.Unlock()
	for _, fn := range queued {
		s.post(func() { fn(s) })
	}
	return true
}

// forget removes s if it is still its peer's session.
func (co *Coordinator) forget(s *session) {
	co.mu.Lock()
	if sl := co.slots[s.peer]; sl != nil && sl.s == s {
		delete(co.slots, s.peer)
	}
	co.mu.Unlock()
}

// current returns peer's session, or nil (none, or still being made).
func (co *Coordinator) current(peer protocol.ActorID) *session {
	co.mu.Lock()
	defer co.mu.Unlock()
	if sl := co.slots[peer]; sl != nil {
		return sl.s
	}
	return nil
}

// deliver runs fn on peer's session loop, queueing it if the session is
// still being made. It reports false if peer has no slot.
func (co *Coordinator) deliver(peer protocol.ActorID, fn func(*session)) bool {
	co.mu.Lock()
	sl := co.slots[peer]
	switch {
	case sl == nil:
		co.mu.Unlock()
		return false
	case sl.s == nil:
		if len(sl.queued) < maxQueued {
			sl.queued = append(sl.queued, fn)
		} else {
			co.counters.StaleSignals.Add(1)
		}
		co.mu.Unlock()
		return true
	}
	s := sl.s
	co.mu.Unlock()
	s.post(func() { fn(s) })
	return true
}

func (co *Coordinator) relayLoop() {
	defer co.wg.Done()
	relays := co.sig.Relays()
	for {
		select {
		case r, ok := <-relays:
			if !ok {
				return
			}
			co.dispatch(r)
		case <-co.ctx.Done():
			return
		}
	}
}

// dispatch routes one relayed message. The signaling service has checked
// its sender's credential and realm.
func (co *Coordinator) dispatch(r signaling.Relay) {
	peer := r.From
	switch {
	case r.Msg.GetRoleAssignment() != nil:
		if r.Msg.GetRoleAssignment().GetIsOfferer() {
			if s := co.current(peer); s != nil && !s.dialling() {
				// The peer asks who offers only for a session it has just
				// opened, having dropped any earlier one with us: ours
				// (say, an offer of its abandoned connect attempt) is
				// stale, and holding the slot it would leave the peer
				// waiting for an offer until ICE gave up on ours.
				co.forget(s)
				s.stop(fmt.Errorf("%w: %s started a new session", transport.ErrWireClosed, peer))
			}
			co.accept(peer, roleOfferer, nil)
		}
		// Told to answer: the peer's offer will come.
	case r.Msg.GetSessionDescription() != nil:
		sd := r.Msg.GetSessionDescription()
		s := co.current(peer)
		switch {
		case sd.GetType() == protocol.SessionDescription_OFFER && s != nil && s.remoteUfrag() != "" && s.remoteUfrag() != sdpUfrag(sd.GetSdp()):
			// A fresh offer while a session has the peer's earlier one:
			// the peer started over (it restarted, or dropped its side).
			co.forget(s)
			s.stop(fmt.Errorf("%w: %s started a new session", transport.ErrWireClosed, peer))
			co.accept(peer, roleAnswerer, sd)
		case co.deliver(peer, func(s *session) { s.remoteDescription(sd) }):
		case sd.GetType() == protocol.SessionDescription_OFFER:
			co.accept(peer, roleAnswerer, sd)
		default:
			co.counters.StaleSignals.Add(1)
		}
	case r.Msg.GetIceCandidate() != nil:
		c := r.Msg.GetIceCandidate()
		if !co.deliver(peer, func(s *session) { s.remoteCandidate(c) }) {
			co.counters.StaleSignals.Add(1)
		}
	case r.Msg.GetIceRestartRequest() != nil:
		why := r.Msg.GetIceRestartRequest().GetReason()
		if !co.deliver(peer, func(s *session) { s.restartRequested(why) }) {
			co.counters.StaleSignals.Add(1)
		}
	default:
		co.counters.StaleSignals.Add(1)
	}
}

// accept starts an inbound session with peer: as offerer when the
// signaling service told us to offer, or as answerer of offer. The
// session's Conn is handed to the Acceptor once ready.
func (co *Coordinator) accept(peer protocol.ActorID, r role, offer *protocol.SessionDescription) {
	box := co.acceptor.Load()
	if box == nil {
		co.counters.StaleSignals.Add(1)
		co.cfg.Logger.Debug("refused a WebRTC session: the node does not accept inbound connections", "peer", peer)
		return
	}
	sl, su, evicted, err := co.reserveInbound(peer)
	if evicted != nil {
		co.counters.SetupsEvicted.Add(1)
		evicted.close(fmt.Errorf("%w: %s's session setup gave its place to a newer one (Config.MaxInboundSetups are being set up)", transport.ErrWireClosed, evicted.peer))
	}
	switch {
	case errors.Is(err, errSetupsFull), errors.Is(err, errPeerSetups):
		co.refuseSetup(peer, err)
		return
	case err != nil:
		// Our own dial to the peer holds the slot: its session takes the
		// offer.
		if offer != nil && !co.deliver(peer, func(s *session) { s.remoteDescription(offer) }) {
			co.counters.StaleSignals.Add(1)
		}
		return
	}
	c := co.newConn(peer, box.a.Inbound(), box.a.Events())
	s, err := co.newSession(peer, c.id, c.in, c.events, r)
	if err != nil {
		co.unreserve(peer, sl)
		co.releaseSetup(su)
		co.cfg.Logger.Warn("accepting a WebRTC session", "peer", peer, "err", err)
		return
	}
	if !co.install(sl, s, c) {
		s.close(ErrCoordinatorClosed)
		co.releaseSetup(su)
		return
	}
	co.mu.Lock()
	if !su.released {
		su.s = s
	}
	co.mu.Unlock()
	co.counters.Accepted.Add(1)
	if r == roleOfferer {
		s.post(func() {
			if err := s.offer(false); err != nil {
				s.stop(err)
			}
		})
	} else {
		s.post(func() { s.remoteDescription(offer) })
	}
	co.wg.Add(1)
	go co.adoptWhenReady(box.a, c, s, su)
}

// reserveInbound takes peer's slot for a session the peer started, and
// one of the Config.MaxInboundSetups places, in one locked section so
// that no two relays take the last place. When every place is taken, the
// oldest setup past Config.InboundSetupEvictAge gives its place up: its
// session is returned, to be closed by the caller (not under co.mu). It fails with errSetupsFull
// or errPeerSetups when there is no place, or as reserve does.
func (co *Coordinator) reserveInbound(peer protocol.ActorID) (*slot, *setup, *session, error) {
	co.mu.Lock()
	defer co.mu.Unlock()
	switch {
	case co.closed:
		return nil, nil, nil, ErrCoordinatorClosed
	case co.slots[peer] != nil:
		return nil, nil, nil, errSessionExists(peer)
	case co.peerSetups[peer] >= maxSetupsPerPeer:
		return nil, nil, nil, errPeerSetups
	}
	var evicted *session
	if co.setups >= co.cfg.MaxInboundSetups {
		age := co.cfg.InboundSetupEvictAge
		if age < 0 || len(co.pending) == 0 || time.Since(co.pending[0].started) < age {
			return nil, nil, nil, errSetupsFull
		}
		old := co.pending[0]
		evicted = old.s
		co.releaseLocked(old)
	}
	co.setups++
	co.peerSetups[peer]++
	co.setupsPeak = max(co.setupsPeak, co.setups)
	co.setupsChangedLocked()
	sl := &slot{}
	co.slots[peer] = sl
	su := &setup{peer: peer, started: time.Now()}
	co.pending = append(co.pending, su)
	return sl, su, evicted, nil
}

// releaseSetup gives back the place an inbound session held, once.
func (co *Coordinator) releaseSetup(su *setup) {
	co.mu.Lock()
	co.releaseLocked(su)
	co.mu.Unlock()
}

func (co *Coordinator) releaseLocked(su *setup) {
	if su.released {
		return
	}
	su.released = true
	if i := slices.Index(co.pending, su); i >= 0 {
		co.pending = slices.Delete(co.pending, i, i+1)
	}
	co.setups--
	if n := co.peerSetups[su.peer] - 1; n > 0 {
		co.peerSetups[su.peer] = n
	} else {
		delete(co.peerSetups, su.peer)
	}
	co.setupsChangedLocked()
}

// setupsChangedLocked wakes whoever waits for setups to change. Setups
// change twice per inbound session, never per message.
func (co *Coordinator) setupsChangedLocked() {
	close(co.setupsCh)
	co.setupsCh = make(chan struct{})
}

// refuseSetup counts and logs a refused inbound session and tells the
// peer, through signaling, with an answer carrying no SDP: no valid
// answer is empty, so a peer that does not know the convention fails its
// attempt as it would on any bad answer, and ours reports
// ErrSessionRefused (session.remoteDescription). No more than
// maxRefusalsPerSecond are sent.
func (co *Coordinator) refuseSetup(peer protocol.ActorID, why error) {
	if errors.Is(why, errSetupsFull) {
		co.counters.SetupsRefused.Add(1)
	} else {
		co.counters.SetupsRefusedPeer.Add(1)
	}
	co.cfg.Logger.Debug("refused a WebRTC session", "peer", peer, "err", why)
	now := time.Now()
	co.mu.Lock()
	if now.Sub(co.refusalWindow) >= time.Second {
		co.refusalWindow, co.refusalsSent = now, 0
	}
	tell := co.refusalsSent < co.refusalRate
	if tell {
		co.refusalsSent++
	}
	co.mu.Unlock()
	if !tell {
		return
	}
	select {
	case co.refusals <- peer:
	default: // as many are waiting as a second's worth: this one is not told
	}
}

// refusalLoop sends the refusals refuseSetup queued.
func (co *Coordinator) refusalLoop() {
	defer co.wg.Done()
	empty := ""
	for {
		select {
		case peer := <-co.refusals:
			sd := &protocol.SessionDescription{Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: &empty}
			if err := co.sig.SendSessionDescription(peer, sd); err != nil {
				co.cfg.Logger.Debug("telling a peer its session was refused", "peer", peer, "err", err)
			}
		case <-co.ctx.Done():
			return
		}
	}
}

// adoptWhenReady waits for an inbound session and hands its Conn to a.
// The session holds its place among Config.MaxInboundSetups until it is
// ready or has ended.
func (co *Coordinator) adoptWhenReady(a Acceptor, c *Conn, s *session, su *setup) {
	defer co.wg.Done()
	t := time.NewTimer(co.cfg.InboundSetupTimeout)
	defer t.Stop()
	select {
	case <-s.firstReady:
	case <-s.done:
		co.releaseSetup(su)
		return
	case <-t.C:
		co.counters.SetupTimeouts.Add(1)
		s.close(fmt.Errorf("%w: %s did not connect within %v (Config.InboundSetupTimeout)", transport.ErrWireClosed, c.peer, co.cfg.InboundSetupTimeout))
		co.releaseSetup(su)
		return
	case <-co.ctx.Done():
		co.releaseSetup(su)
		return // Close closes the session
	}
	co.releaseSetup(su)
	c.adoptSession(s)
	if err := a.Adopt(co.ctx, transport.Actor(c.peer), c); err != nil {
		co.cfg.Logger.Debug("the node refused a WebRTC connection", "peer", c.peer, "err", err)
	}
}
