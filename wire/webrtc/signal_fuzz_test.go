package webrtc

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
)

// What a peer relays through the signaling service reaches the
// Coordinator's dispatch unchecked but for its sender: offers, answers and
// ICE restart offers whose SDP pion parses, candidates whose lines pion
// parses, role assignments, and payloads this node has no use for.
// FuzzRemoteSignal plays a peer that sends any sequence of those, with any
// SDP and candidate text, to a Coordinator that accepts inbound sessions.

// fuzzSignaler is a Signaler whose relays the test dispatches itself; it
// records what the Coordinator sends.
type fuzzSignaler struct {
	mu    sync.Mutex
	sdps  []*protocol.SessionDescription
	cands []*protocol.IceCandidate
}

func (f *fuzzSignaler) NegotiateRole(context.Context, protocol.ActorID) (bool, error) {
	return false, ErrCoordinatorClosed // the fuzz target never connects out
}

func (f *fuzzSignaler) SendSessionDescription(_ protocol.ActorID, sd *protocol.SessionDescription) error {
	f.mu.Lock()
	f.sdps = append(f.sdps, sd)
	f.mu.Unlock()
	return nil
}

func (f *fuzzSignaler) SendIceCandidate(_ protocol.ActorID, c *protocol.IceCandidate) error {
	f.mu.Lock()
	f.cands = append(f.cands, c)
	f.mu.Unlock()
	return nil
}

// Relays is never fed: the test calls dispatch, as relayLoop would.
func (f *fuzzSignaler) Relays() <-chan signaling.Relay { return nil }

func (f *fuzzSignaler) sent() ([]*protocol.SessionDescription, []*protocol.IceCandidate) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*protocol.SessionDescription(nil), f.sdps...), append([]*protocol.IceCandidate(nil), f.cands...)
}

// fuzzAcceptor accepts inbound sessions and never adopts one (none gets
// ready: the peer is not really there).
type fuzzAcceptor struct{ events *transport.EventBus }

func (a *fuzzAcceptor) Inbound() transport.Inbound { return a }
func (a *fuzzAcceptor) Events() *transport.EventBus {
	return a.events
}
func (a *fuzzAcceptor) Adopt(context.Context, transport.Dest, transport.Wire) error {
	return transport.ErrWireClosed
}
func (a *fuzzAcceptor) Deliver(context.Context, transport.Message) error { return nil }

// fuzzNet is a virtual network of one host, 10.0.0.1: the PeerConnections
// the fuzz target makes gather and check candidates there, and whatever
// addresses the fuzzed candidates name, no packet reaches a real socket.
func fuzzNet(f *testing.F) *vnet.Net {
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelDisabled
	r, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", LoggerFactory: lf})
	if err != nil {
		f.Fatal(err)
	}
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{"10.0.0.1"}})
	if err != nil {
		f.Fatal(err)
	}
	if err := r.AddNet(nw); err != nil {
		f.Fatal(err)
	}
	if err := r.Start(); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = r.Stop() })
	return nw
}

// fuzzPeer is the peer the relays come from.
var fuzzPeer = protocol.MustParseActorID("acme:peer@1.7")

// The relay kinds an op byte selects (its low 3 bits).
const (
	opRoleOfferer  = iota // told to offer: the Coordinator starts a session and offers
	opRoleAnswerer        // told to answer: nothing happens until the offer
	opOffer               // OFFER
	opRestartOffer        // ICE_RESTART_OFFER
	opAnswer              // ANSWER
	opOtherSDP            // RENEGOTIATION_OFFER, or a type this build does not know
	opCandidate           // a candidate (bit 3: without its mid, index and ufrag)
	opOther               // no payload, or a role negotiation (for the signaling service)
	opKinds
)

// signalOp builds the relay of one op byte. Bit 3 picks sdpB instead of
// sdpA, or strips a candidate to its line.
func signalOp(op byte, sdpA, sdpB, cand, mid, ufrag string, mline uint32) *protocol.ActrRelay {
	alt := op&8 != 0
	sdp := sdpA
	if alt {
		sdp = sdpB
	}
	desc := func(t protocol.SessionDescription_Type) *protocol.ActrRelay {
		return &protocol.ActrRelay{Payload: &protocol.ActrRelay_SessionDescription{
			SessionDescription: &protocol.SessionDescription{Type: t.Enum(), Sdp: &sdp}}}
	}
	switch op % opKinds {
	case opRoleOfferer, opRoleAnswerer:
		offerer := op%opKinds == opRoleOfferer
		return &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{
			RoleAssignment: &protocol.RoleAssignment{IsOfferer: &offerer}}}
	case opOffer:
		return desc(protocol.SessionDescription_OFFER)
	case opRestartOffer:
		return desc(protocol.SessionDescription_ICE_RESTART_OFFER)
	case opAnswer:
		return desc(protocol.SessionDescription_ANSWER)
	case opOtherSDP:
		if alt {
			return desc(protocol.SessionDescription_Type(op >> 4))
		}
		return desc(protocol.SessionDescription_RENEGOTIATION_OFFER)
	case opCandidate:
		c := &protocol.IceCandidate{Candidate: &cand}
		if !alt {
			c.SdpMid, c.SdpMlineIndex, c.UsernameFragment = &mid, &mline, &ufrag
		}
		return &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: c}}
	default:
		if alt {
			return &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleNegotiation{RoleNegotiation: &protocol.RoleNegotiation{}}}
		}
		return &protocol.ActrRelay{}
	}
}

// maxSignalOps bounds the relays of one input: each may make a
// PeerConnection.
const maxSignalOps = 8

// settle waits until the session of peer, if any, has run everything
// posted to it so far, or has ended. Relays are handled on the session's
// loop; only then do their effects show.
func settle(t *testing.T, co *Coordinator, peer protocol.ActorID) {
	t.Helper()
	s := co.current(peer)
	if s == nil {
		return
	}
	ran := make(chan struct{})
	s.post(func() { close(ran) })
	guard := time.NewTimer(30 * time.Second)
	defer guard.Stop()
	select {
	case <-ran:
	case <-s.done:
	case <-guard.C:
		t.Fatal("a session's loop did not get through a relayed message in 30s")
	}
}

// signalCounted is what the Coordinator counts of refused and stale input.
func signalCounted(co *Coordinator) uint64 {
	c := &co.counters
	return c.BadSignals.Load() + c.StaleSignals.Load() + c.SetupsRefused.Load() + c.SetupsRefusedPeer.Load() + c.RefusedByPeer.Load() +
		c.CandidatesOverCap.Load() + c.CandidatesOffNetwork.Load() + c.CandidatesBadAddress.Load() + c.CandidatesMalformed.Load()
}

// FuzzRemoteSignal feeds relays with arbitrary SDP and candidates, in
// arbitrary order, to a Coordinator's dispatch: what an untrusted peer can
// send this node. Nothing may panic or hang; every relay is taken by a
// live session or counted as bad or stale (none vanishes while leaving
// nothing behind); and Close leaves no session (goleak, in TestMain, sees
// that every goroutine and PeerConnection is gone).
func FuzzRemoteSignal(f *testing.F) {
	nw := fuzzNet(f)
	const cand = "candidate:1 1 udp 2130706431 10.0.0.2 50000 typ host"
	f.Add([]byte{opRoleOfferer}, "", "", "", "", "", uint32(0))
	f.Add([]byte{opOffer}, "v=0\r\n", "", "", "", "", uint32(0))
	f.Add([]byte{opCandidate, opOffer, opCandidate | 8}, "garbage", "", cand, "0", "abc", uint32(0))
	f.Add([]byte{opRoleOfferer, opAnswer, opCandidate}, "v=0\r\na=ice-ufrag:x\r\n", "", cand, "0", "x", uint32(1<<31))
	f.Add([]byte{opOther, opOther | 8, opOtherSDP, opOtherSDP | 8 | 7<<4, opRoleAnswerer}, "", "", "", "", "", uint32(0))
	// Candidates the screen refuses: another network, unspecified,
	// multicast, port 0, TCP; and an offer carrying candidate lines.
	for _, c := range []string{
		"candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host",
		"candidate:1 1 udp 2130706431 0.0.0.0 5000 typ host",
		"candidate:1 1 udp 2130706431 224.0.0.1 5000 typ host",
		"candidate:1 1 udp 2130706431 10.0.0.2 0 typ host",
		"candidate:1 1 tcp 2130706431 10.0.0.2 9 typ host tcptype active",
	} {
		f.Add([]byte{opRoleOfferer, opCandidate, opCandidate | 8}, "", "", c, "0", "", uint32(0))
	}
	f.Add([]byte{opOffer, opCandidate}, "v=0\r\na=ice-ufrag:x\r\na=candidate:1 1 udp 2130706431 10.0.0.2 5000 typ host\r\na=candidate:2 1 udp 2130706431 0.0.0.0 5000 typ host\r\n", "", cand, "0", "x", uint32(0))
	f.Fuzz(func(t *testing.T, ops []byte, sdpA, sdpB, cand, mid, ufrag string, mline uint32) {
		if len(ops) > maxSignalOps {
			ops = ops[:maxSignalOps]
		}
		sig := &fuzzSignaler{}
		co, err := NewCoordinator(sig, Config{Net: nw, NetworkTypes: []pion.NetworkType{pion.NetworkTypeUDP4}})
		if err != nil {
			t.Fatal(err)
		}
		bus := transport.NewEventBus()
		defer bus.Close()
		co.Accept(&fuzzAcceptor{events: bus})
		closed := false
		defer func() {
			if !closed {
				_ = co.Close()
			}
		}()
		for i, op := range ops {
			before := signalCounted(co)
			co.dispatch(signaling.Relay{From: fuzzPeer, Msg: signalOp(op, sdpA, sdpB, cand, mid, ufrag, mline)})
			settle(t, co, fuzzPeer)
			if op%opKinds == opRoleAnswerer {
				continue // nothing to take: the offer will come
			}
			if co.current(fuzzPeer) == nil && signalCounted(co) == before {
				t.Fatalf("relay %d (op %#x) left no session and was not counted as bad or stale", i, op)
			}
		}
		if err := co.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		closed = true
		if n := co.Sessions(); n != 0 {
			t.Fatalf("%d sessions after Close", n)
		}
		if acc, all := co.counters.Accepted.Load(), co.counters.Sessions.Load(); acc != all {
			t.Fatalf("%d sessions made, %d of them accepted: the fuzz target never dials", all, acc)
		}
		sdps, _ := sig.sent()
		for _, sd := range sdps {
			if typ := sd.GetType(); typ != protocol.SessionDescription_OFFER && typ != protocol.SessionDescription_ANSWER {
				t.Fatalf("the Coordinator sent a %s, which no session of this test can make", typ)
			}
		}
		if u := sdpUfrag(sdpA); u != "" && !strings.Contains(sdpA, "a=ice-ufrag:"+u) {
			t.Fatalf("sdpUfrag found %q, not in the SDP", u)
		}
	})
}
