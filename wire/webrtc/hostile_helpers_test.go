package webrtc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
)

// The hostile-peer tests run Coordinators over an in-memory signaling
// hub (pipeHub): what a peer relays is what the test says, with no
// signaling server and its rate limits in the way, and the WebRTC
// traffic itself on 127.0.0.1.

// pipeHub relays between the pipeSigs that joined it, as the signaling
// service would: role negotiation tells both sides, the smaller ActorID
// offering; a relay to an actor not on the hub is counted and dropped.
type pipeHub struct {
	mu    sync.Mutex
	peers map[protocol.ActorID]*pipeSig
	// refusals counts the empty answers (Coordinator.refuseSetup) sent to
	// actors not on the hub (the strangers of the tests).
	refusals atomic.Int64
	// observer, if set, sees every relay delivered (hub.mu).
	observer func(signaling.Relay)
}

// observe makes f see every relay the hub delivers from now on.
func (h *pipeHub) observe(f func(signaling.Relay)) {
	h.mu.Lock()
	h.observer = f
	h.mu.Unlock()
}

func newPipeHub() *pipeHub { return &pipeHub{peers: make(map[protocol.ActorID]*pipeSig)} }

// pipeSig is one actor's Signaler on a pipeHub.
type pipeSig struct {
	hub    *pipeHub
	id     protocol.ActorID
	relays chan signaling.Relay
}

func (h *pipeHub) join(id protocol.ActorID) *pipeSig {
	p := &pipeSig{hub: h, id: id, relays: make(chan signaling.Relay, 4096)}
	h.mu.Lock()
	h.peers[id] = p
	h.mu.Unlock()
	return p
}

func (p *pipeSig) deliver(to protocol.ActorID, msg *protocol.ActrRelay) bool {
	p.hub.mu.Lock()
	t, observe := p.hub.peers[to], p.hub.observer
	p.hub.mu.Unlock()
	if observe != nil && t != nil {
		observe(signaling.Relay{From: p.id, Msg: msg})
	}
	if t == nil {
		if sd := msg.GetSessionDescription(); sd != nil && sd.GetType() == protocol.SessionDescription_ANSWER && sd.GetSdp() == "" {
			p.hub.refusals.Add(1)
		}
		return false
	}
	select {
	case t.relays <- signaling.Relay{From: p.id, Msg: msg}:
	default: // a test that floods more than 4096 relays has lost them
	}
	return true
}

func (p *pipeSig) NegotiateRole(_ context.Context, peer protocol.ActorID) (bool, error) {
	offers := p.id.Compare(peer) < 0
	theirs := !offers
	if !p.deliver(peer, &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: &protocol.RoleAssignment{IsOfferer: &theirs}}}) {
		return false, signaling.ErrNotOnline
	}
	return offers, nil
}

func (p *pipeSig) SendSessionDescription(target protocol.ActorID, sd *protocol.SessionDescription) error {
	p.deliver(target, &protocol.ActrRelay{Payload: &protocol.ActrRelay_SessionDescription{SessionDescription: sd}})
	return nil
}

func (p *pipeSig) SendIceCandidate(target protocol.ActorID, c *protocol.IceCandidate) error {
	p.deliver(target, &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: c}})
	return nil
}

func (p *pipeSig) SendIceRestartRequest(target protocol.ActorID, why string) error {
	p.deliver(target, &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceRestartRequest{IceRestartRequest: &protocol.IceRestartRequest{Reason: &why}}})
	return nil
}

func (p *pipeSig) Relays() <-chan signaling.Relay { return p.relays }

// pionAnswer answers offer from a PeerConnection of the test's own (a
// peer that is not a Coordinator), closed when the test ends.
func pionAnswer(t *testing.T, offer string) pion.SessionDescription {
	t.Helper()
	st, err := hostileConfig().withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.close() })
	pc, err := st.api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	if err := pc.SetRemoteDescription(pion.SessionDescription{Type: pion.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	ans, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetLocalDescription(ans); err != nil {
		t.Fatal(err)
	}
	return ans
}

// hostileConfig is loopback-only with short ICE timers.
func hostileConfig() Config {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("ACTR_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return Config{
		Logger:                 log,
		LoopbackOnly:           true,
		ICEDisconnectedTimeout: time.Second,
		ICEFailedTimeout:       2 * time.Second,
		ICEKeepaliveInterval:   200 * time.Millisecond,
	}
}

// hubNode is a Coordinator on a pipeHub that accepts inbound sessions,
// delivering what they read to in.
type hubNode struct {
	id  protocol.ActorID
	sig *pipeSig
	co  *Coordinator
	acc *hubAcceptor
}

func newHubNode(t testing.TB, hub *pipeHub, id string, cfg Config, in transport.Inbound) *hubNode {
	t.Helper()
	aid := protocol.MustParseActorID(id)
	sig := hub.join(aid)
	co, err := NewCoordinator(sig, cfg)
	if err != nil {
		t.Fatal(err)
	}
	acc := &hubAcceptor{in: in, adopted: make(chan *Conn, 64)}
	co.Accept(acc)
	t.Cleanup(func() { _ = co.Close() })
	return &hubNode{id: aid, sig: sig, co: co, acc: acc}
}

// dial connects a new Conn from n to peer.
func (n *hubNode) dial(t testing.TB, ctx context.Context, peer protocol.ActorID, in transport.Inbound) *Conn {
	t.Helper()
	c := n.co.Wire(peer, in, nil)
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("%s dialling %s: %v", n.id, peer, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

type hubAcceptor struct {
	in      transport.Inbound
	adopted chan *Conn
}

func (a *hubAcceptor) Inbound() transport.Inbound  { return a.in }
func (a *hubAcceptor) Events() *transport.EventBus { return nil }
func (a *hubAcceptor) Adopt(_ context.Context, _ transport.Dest, w transport.Wire) error {
	select {
	case a.adopted <- w.(*Conn):
	default:
	}
	return nil
}

// recorder is an Inbound that hands every message to its channel.
type recorder struct{ msgs chan transport.Message }

func newRecorder() *recorder { return &recorder{msgs: make(chan transport.Message, 1024)} }

func (r *recorder) Deliver(ctx context.Context, m transport.Message) error {
	select {
	case r.msgs <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// next waits up to d for the next message.
func (r *recorder) next(ctx context.Context, d time.Duration) (transport.Message, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case m := <-r.msgs:
		return m, nil
	case <-t.C:
		return transport.Message{}, errors.New("no message within the bound")
	case <-ctx.Done():
		return transport.Message{}, ctx.Err()
	}
}

// stallInbound is the Inbound of a peer that stops reading: the first
// message it is given blocks its channel's reader until the session
// ends, so the channel's receive window fills and the sender's queue
// stops draining. blocked is closed when that happens.
type stallInbound struct {
	once    sync.Once
	blocked chan struct{}
}

func (s *stallInbound) Deliver(ctx context.Context, _ transport.Message) error {
	s.once.Do(func() { close(s.blocked) })
	<-ctx.Done()
	return ctx.Err()
}

// waitSetups waits until co's inbound setups satisfy ok.
func waitSetups(t testing.TB, ctx context.Context, co *Coordinator, ok func(n int) bool) {
	t.Helper()
	for {
		co.mu.Lock()
		n, ch := co.setups, co.setupsCh
		co.mu.Unlock()
		if ok(n) {
			return
		}
		select {
		case <-ch:
		case <-ctx.Done():
			t.Fatalf("waiting for the inbound setups (now %d): %v", n, ctx.Err())
		}
	}
}

// settleSession waits until everything posted to s so far has run.
func settleSession(t testing.TB, ctx context.Context, s *session) {
	t.Helper()
	ran := make(chan struct{})
	s.post(func() { close(ran) })
	select {
	case <-ran:
	case <-s.done:
	case <-ctx.Done():
		t.Fatal("a session's loop did not get through its work")
	}
}
