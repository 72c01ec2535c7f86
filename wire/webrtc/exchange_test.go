package webrtc

import (
	"context"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// An offer carries a fresh sdp_exchange_id; an answer naming another
// exchange is stale (dropped, counted), and the session waits for the
// answer to its own offer, which it takes.
func TestAnswerToAnotherOfferIsStale(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	node := newHubNode(t, hub, "acme:node@1.1", hostileConfig(), newRecorder())
	peer := protocol.MustParseActorID("acme:peer@1.2")
	peerSig := hub.join(peer)

	offerer := true
	node.co.dispatch(signaling.Relay{From: peer, Msg: &protocol.ActrRelay{Payload: &protocol.ActrRelay_RoleAssignment{
		RoleAssignment: &protocol.RoleAssignment{IsOfferer: &offerer}}}})
	var offer *protocol.SessionDescription
	for offer == nil {
		select {
		case r := <-peerSig.relays:
			offer = r.Msg.GetSessionDescription()
		case <-ctx.Done():
			t.Fatal("no offer from the node")
		}
	}
	id := offer.GetSdpExchangeId()
	if len(id) != 16 {
		t.Fatalf("the offer's sdp_exchange_id is %q, want 16 hex digits", id)
	}

	ans := pionAnswer(t, offer.GetSdp())
	answer := func(exchange string) {
		node.co.dispatch(signaling.Relay{From: peer, Msg: &protocol.ActrRelay{Payload: &protocol.ActrRelay_SessionDescription{
			SessionDescription: &protocol.SessionDescription{Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: &ans.SDP, SdpExchangeId: &exchange}}}})
		settle(t, node.co, peer)
	}
	stale := node.co.counters.StaleSignals.Load()
	answer("0123456789abcdef")
	if got := node.co.counters.StaleSignals.Load(); got != stale+1 {
		t.Fatalf("an answer to another exchange: StaleSignals %d → %d, want it counted stale", stale, got)
	}
	s := node.co.current(peer)
	if s == nil || s.pc.SignalingState() != pion.SignalingStateHaveLocalOffer {
		t.Fatal("the stale answer was applied: the offer is no longer pending")
	}
	answer(id)
	if got := s.pc.SignalingState(); got != pion.SignalingStateStable {
		t.Fatalf("the answer to the session's own offer: signaling state %s, want stable", got)
	}
}

// The answerer echoes the offer's sdp_exchange_id.
func TestAnswerEchoesTheOffersExchange(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	a := newHubNode(t, hub, "acme:a@1.1", hostileConfig(), newRecorder())
	b := newHubNode(t, hub, "acme:b@1.2", hostileConfig(), newRecorder())
	seen := make(chan *protocol.SessionDescription, 16)
	hub.observe(func(r signaling.Relay) {
		if sd := r.Msg.GetSessionDescription(); sd != nil {
			select {
			case seen <- sd:
			default: // more than the test reads: not the first exchange
			}
		}
	})
	a.dial(t, ctx, b.id, newRecorder())
	var offerID, answerID string
	for offerID == "" || answerID == "" {
		select {
		case sd := <-seen:
			switch sd.GetType() {
			case protocol.SessionDescription_OFFER:
				offerID = sd.GetSdpExchangeId()
			case protocol.SessionDescription_ANSWER:
				answerID = sd.GetSdpExchangeId()
			}
		case <-ctx.Done():
			t.Fatalf("offer %q, answer %q: one has no sdp_exchange_id", offerID, answerID)
		}
	}
	if offerID != answerID {
		t.Fatalf("the answer's sdp_exchange_id %q does not echo the offer's %q", answerID, offerID)
	}
}
