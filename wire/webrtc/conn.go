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

// Conn is a WebRTC wire to one peer: a PeerConnection with one data
// channel per data payload type. It implements transport.Wire,
// transport.WireErr and transport.ReadyNotifier. A Conn from
// Coordinator.Wire connects when the pool calls Connect; the Coordinator
// makes Conns itself for the peers that connect to this node, and hands
// them, ready, to its Acceptor.
//
// Ready means ICE (and DTLS) connected and the RPC_RELIABLE data channel
// open, as in actr; a lane whose channel is not open yet opens it on its
// first Send, which waits for it (no round trip: see the package doc). It
// drops while the connection is lost and an ICE restart is under way, and
// returns when the restart succeeds; Done is closed when the Conn gives up.
type Conn struct {
	co     *Coordinator
	id     transport.WireID
	peer   protocol.ActorID
	in     transport.Inbound
	events *transport.EventBus

	mu        sync.Mutex
	attempt   *session // the session Connect is running
	closed    bool
	connected bool

	cur      atomic.Pointer[session] // the connected session, once Connect succeeded
	done     chan struct{}
	doneOnce sync.Once
	err      error // set before done is closed
}

func (co *Coordinator) newConn(peer protocol.ActorID, in transport.Inbound, events *transport.EventBus) *Conn {
	return &Conn{co: co, id: transport.NewWireID(), peer: peer, in: in, events: events, done: make(chan struct{})}
}

// Kind implements transport.Wire.
func (c *Conn) Kind() transport.WireKind { return transport.WireWebRTC }

// ID implements transport.Wire.
func (c *Conn) ID() transport.WireID { return c.id }

// Remote returns the peer's id.
func (c *Conn) Remote() protocol.ActorID { return c.peer }

// Ready implements transport.Wire.
func (c *Conn) Ready() bool {
	s := c.cur.Load()
	return s != nil && s.ready.Load()
}

// ReadyChanged implements transport.ReadyNotifier.
func (c *Conn) ReadyChanged() <-chan struct{} {
	if s := c.cur.Load(); s != nil {
		return s.readyChanged()
	}
	return c.done
}

// Done implements transport.Wire.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err reports why the Conn died, once Done is closed.
func (c *Conn) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// Lane implements transport.Wire.
func (c *Conn) Lane(pt protocol.PayloadType) (transport.Lane, error) {
	i := specIndex(pt)
	if i < 0 {
		return nil, fmt.Errorf("%w: a WebRTC wire has no data channel for %s", transport.ErrNoRoute, pt)
	}
	return &lane{c: c, idx: i}, nil
}

// Connect implements transport.Wire: it asks the signaling service which
// side offers (telling the peer too), then runs the offer/answer and ICE
// exchange until the connection is ready, it fails, or ctx ends. If a
// session with the peer already exists (the peer connected first) it
// returns an error matching transport.ErrSuperseded, and the pool adopts
// that session's Conn instead.
func (c *Conn) Connect(ctx context.Context) error {
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		return fmt.Errorf("%w: WebRTC wire %d to %s is closed", transport.ErrWireClosed, c.id, c.peer)
	case c.connected:
		c.mu.Unlock()
		return fmt.Errorf("webrtc: wire %d to %s is already connected", c.id, c.peer)
	}
	c.mu.Unlock()

	s, err := c.co.open(c, roleUnknown)
	if err != nil {
		return err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.close(fmt.Errorf("%w: closed while connecting", transport.ErrWireClosed))
		return fmt.Errorf("%w: WebRTC wire %d to %s closed while connecting", transport.ErrWireClosed, c.id, c.peer)
	}
	c.attempt = s
	c.mu.Unlock()

	offerer, err := c.negotiate(ctx, s)
	if err == nil {
		err = c.awaitReady(ctx, s, offerer)
	}
	c.mu.Lock()
	c.attempt = nil
	if err == nil && !c.closed {
		c.connected = true
		c.cur.Store(s)
		c.mu.Unlock()
		// The session may have died between becoming ready and here.
		select {
		case <-s.done:
			c.sessionEnded(s)
		default:
		}
		return nil
	}
	if err == nil {
		err = fmt.Errorf("%w: WebRTC wire %d to %s closed while connecting", transport.ErrWireClosed, c.id, c.peer)
	}
	c.mu.Unlock()
	s.close(err)
	return err
}

// awaitReady waits for s to be ready. It waits for the peer's half of the
// exchange, its offer as the answerer or its answer as the offerer, for at
// most Config.OfferTimeout: a peer that refuses the session without saying
// so (its setup cap is full and its refusals are rate-limited) must cost
// this attempt seconds, not the whole connect timeout, so that the retry
// comes soon.
func (c *Conn) awaitReady(ctx context.Context, s *session, offerer bool) error {
	var silent <-chan time.Time
	gotRemote := s.gotRemote
	if c.co.cfg.OfferTimeout > 0 {
		t := time.NewTimer(c.co.cfg.OfferTimeout)
		defer t.Stop()
		silent = t.C
	}
	for {
		select {
		case <-s.firstReady:
			return nil
		case <-s.done:
			return s.Err()
		case <-ctx.Done():
			return fmt.Errorf("webrtc: connecting to %s: %w", c.peer, context.Cause(ctx))
		case <-gotRemote:
			gotRemote, silent = nil, nil
		case <-silent:
			if offerer {
				return fmt.Errorf("%w: %s sent no answer within %v of our offer (Config.OfferTimeout); it may be refusing sessions for now", ErrNoAnswer, c.peer, c.co.cfg.OfferTimeout)
			}
			return fmt.Errorf("%w: %s sent no offer within %v of the role negotiation (Config.OfferTimeout); it may be refusing sessions for now", ErrNoOffer, c.peer, c.co.cfg.OfferTimeout)
		}
	}
}

// ErrNoOffer: as the answerer of a session, this node got no offer from
// the peer in time (Config.OfferTimeout). The attempt is given up and
// retried like any failed connect.
var ErrNoOffer = errors.New("webrtc: the peer sent no offer")

// ErrNoAnswer: as the offerer of a session, this node got no answer from
// the peer in time (Config.OfferTimeout). The attempt is given up and
// retried like any failed connect.
var ErrNoAnswer = errors.New("webrtc: the peer sent no answer")

func (c *Conn) negotiate(ctx context.Context, s *session) (offerer bool, err error) {
	offerer, err = c.co.sig.NegotiateRole(ctx, c.peer)
	if errors.Is(err, signaling.ErrNotOnline) {
		return false, fmt.Errorf("webrtc: negotiating roles with %s: %w: %w", c.peer, transport.ErrPeerUnknown, err)
	}
	if err != nil {
		return false, fmt.Errorf("webrtc: negotiating roles with %s: %w", c.peer, err)
	}
	s.post(func() {
		switch {
		case s.role != roleUnknown:
			// The peer's offer came first: we answer, whatever was said.
		case offerer:
			s.role = roleOfferer
			if err := s.offer(false); err != nil {
				s.stop(err)
			}
		default:
			s.role = roleAnswerer
		}
	})
	return offerer, nil
}

// session returns the connected session, or nil.
func (c *Conn) session() *session { return c.cur.Load() }

// adoptSession makes s, ready, the Conn's connected session (inbound).
func (c *Conn) adoptSession(s *session) {
	c.mu.Lock()
	c.connected = true
	c.cur.Store(s)
	c.mu.Unlock()
	select {
	case <-s.done:
		c.sessionEnded(s)
	default:
	}
}

// sessionEnded is called when a session of the Conn has ended; if it was
// the connected one, the Conn is dead.
func (c *Conn) sessionEnded(s *session) {
	if c.cur.Load() != s {
		return // a failed attempt: Connect reports it
	}
	err := s.Err()
	if err == nil {
		err = fmt.Errorf("%w: WebRTC session to %s ended", transport.ErrWireClosed, c.peer)
	}
	c.finish(err)
}

func (c *Conn) finish(err error) {
	c.doneOnce.Do(func() {
		c.err = err
		close(c.done)
	})
}

// Close implements transport.Wire: it closes the PeerConnection and waits
// for every goroutine of the Conn.
func (c *Conn) Close() error {
	c.mu.Lock()
	c.closed = true
	attempt := c.attempt
	c.mu.Unlock()
	closing := fmt.Errorf("%w: WebRTC wire %d to %s closed", transport.ErrWireClosed, c.id, c.peer)
	if attempt != nil {
		attempt.close(closing)
	}
	if s := c.cur.Load(); s != nil {
		s.close(closing)
	}
	c.finish(closing)
	return nil
}

func (c *Conn) laneClosed(err error) error {
	if err == nil {
		err = c.Err()
	}
	if err == nil {
		return fmt.Errorf("%w: WebRTC wire %d to %s is not connected", transport.ErrLaneClosed, c.id, c.peer)
	}
	if errors.Is(err, transport.ErrLaneClosed) {
		return err
	}
	return fmt.Errorf("%w: WebRTC wire %d to %s: %w", transport.ErrLaneClosed, c.id, c.peer, err)
}
