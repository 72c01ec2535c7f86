package webrtc

import (
	"context"
	"errors"
	"fmt"
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

// DefaultAcceptTimeout bounds how long a peer that starts connecting to
// this node has to become ready before its session is dropped.
const DefaultAcceptTimeout = 30 * time.Second

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

	mu       sync.Mutex
	sessions map[protocol.ActorID]*session
	closed   bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

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
	co := &Coordinator{cfg: st, sig: sig, sessions: make(map[protocol.ActorID]*session), ctx: ctx, cancel: cancel}
	co.wg.Add(1)
	go co.relayLoop()
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
	return len(co.sessions)
}

// Close closes every session and stops reading relays; it returns when
// every goroutine and PeerConnection of the Coordinator is gone.
func (co *Coordinator) Close() error {
	co.mu.Lock()
	co.closed = true
	sessions := make([]*session, 0, len(co.sessions))
	for _, s := range co.sessions {
		sessions = append(sessions, s)
	}
	co.mu.Unlock()
	co.cancel()
	for _, s := range sessions {
		s.close(ErrCoordinatorClosed)
	}
	co.wg.Wait()
	return nil
}

// open creates the session of an outbound Conn, unless the peer already
// has one.
func (co *Coordinator) open(c *Conn, r role) (*session, error) {
	co.mu.Lock()
	if co.closed {
		co.mu.Unlock()
		return nil, ErrCoordinatorClosed
	}
	if _, ok := co.sessions[c.peer]; ok {
		co.mu.Unlock()
		return nil, fmt.Errorf("%w: a WebRTC session with %s already exists", transport.ErrSuperseded, c.peer)
	}
	co.mu.Unlock()
	s, err := co.newSession(c.peer, c.id, c.in, c.events, r)
	if err != nil {
		return nil, err
	}
	if !co.install(s, c) {
		s.close(ErrCoordinatorClosed)
		return nil, fmt.Errorf("%w: a WebRTC session with %s already exists", transport.ErrSuperseded, c.peer)
	}
	return s, nil
}

// install makes s the peer's session unless there is one or the
// Coordinator is closed. The PeerConnection is created before, outside the
// lock; losing the race costs one closed PeerConnection.
func (co *Coordinator) install(s *session, owner *Conn) bool {
	co.mu.Lock()
	defer co.mu.Unlock()
	if co.closed || co.sessions[s.peer] != nil {
		return false
	}
	co.sessions[s.peer] = s
	co.counters.Sessions.Add(1)
	s.onDeath = func(s *session) {
		co.forget(s)
		owner.sessionEnded(s)
	}
	return true
}

// forget removes s if it is still its peer's session.
func (co *Coordinator) forget(s *session) {
	co.mu.Lock()
	if co.sessions[s.peer] == s {
		delete(co.sessions, s.peer)
	}
	co.mu.Unlock()
}

func (co *Coordinator) current(peer protocol.ActorID) *session {
	co.mu.Lock()
	defer co.mu.Unlock()
	return co.sessions[peer]
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
		case s != nil:
			s.post(func() { s.remoteDescription(sd) })
		case sd.GetType() == protocol.SessionDescription_OFFER:
			co.accept(peer, roleAnswerer, sd)
		default:
			co.counters.StaleSignals.Add(1)
		}
	case r.Msg.GetIceCandidate() != nil:
		c := r.Msg.GetIceCandidate()
		if s := co.current(peer); s != nil {
			s.post(func() { s.remoteCandidate(c) })
		} else {
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
	if co.current(peer) != nil {
		return // we are connecting to it ourselves
	}
	c := co.newConn(peer, box.a.Inbound(), box.a.Events())
	s, err := co.newSession(peer, c.id, c.in, c.events, r)
	if err != nil {
		co.cfg.Logger.Warn("accepting a WebRTC session", "peer", peer, "err", err)
		return
	}
	if !co.install(s, c) {
		s.close(ErrCoordinatorClosed)
		return
	}
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
	go co.adoptWhenReady(box.a, c, s)
}

// adoptWhenReady waits for an inbound session and hands its Conn to a.
func (co *Coordinator) adoptWhenReady(a Acceptor, c *Conn, s *session) {
	defer co.wg.Done()
	t := time.NewTimer(DefaultAcceptTimeout)
	defer t.Stop()
	select {
	case <-s.firstReady:
	case <-s.done:
		return
	case <-t.C:
		s.close(fmt.Errorf("%w: %s did not connect within %v", transport.ErrWireClosed, c.peer, DefaultAcceptTimeout))
		return
	case <-co.ctx.Done():
		return // Close closes the session
	}
	c.adoptSession(s)
	if err := a.Adopt(co.ctx, transport.Actor(c.peer), c); err != nil {
		co.cfg.Logger.Debug("the node refused a WebRTC connection", "peer", c.peer, "err", err)
	}
}
