package signaling

import (
	"cmp"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// relay forwards a WebRTC session message to its target, or answers a
// role negotiation for both sides.
func (ss *session) relay(envID string, r *protocol.ActrRelay) *protocol.ErrorResponse {
	s := ss.srv
	e, refusal := ss.authenticate(r.GetSource(), r.GetCredential(), r.GetProof())
	if refusal != nil {
		return refusal
	}
	src := e.id
	dst, err := protocol.ActorIDFromProto(r.GetTarget())
	if err != nil {
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "target is not a valid ActrId")
	}
	if dst.Realm != src.Realm {
		s.counters.RelayRefused.Add(1)
		return errf(CodeForbidden, "relay is confined to one realm: %s is in realm %d, %s in %d", src, src.Realm, dst, dst.Realm)
	}
	if r.Payload == nil {
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "actr_relay carries no payload")
	}
	s.mu.Lock()
	t := s.actors[dst]
	var tsess *session
	if t != nil {
		tsess = t.sess
	}
	s.mu.Unlock()
	if tsess == nil {
		if remote, ok := s.remoteActor(dst); ok {
			return ss.relayRemote(envID, src, remote, r)
		}
		s.counters.RelayRefused.Add(1)
		return errf(CodeNotFound, "%s is not online", dst)
	}
	if _, ok := r.Payload.(*protocol.ActrRelay_RoleNegotiation); ok {
		// One offerer per pair, decided here the same way whichever side
		// asks and however many times (see offers).
		srcOffers := offers(src, dst, ss.answerOnly, tsess.answerOnly)
		if !tsess.enqueue(roleAssignment(s.nextID(), "", src, dst, !srcOffers), true) {
			return s.targetBehind(dst)
		}
		ss.send(roleAssignment(s.nextID(), envID, dst, src, srcOffers))
		s.counters.RoleAssignments.Add(1)
		return nil
	}
	fwd := &protocol.SignalingEnvelope{
		EnvelopeId: proto.String(s.nextID()),
		Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
			Source: src.Proto(), Target: dst.Proto(), Payload: r.Payload}},
	}
	// enqueue, not send: a relay that does not fit the target's budget is
	// the sender's problem (503), so that nobody can get a target
	// disconnected by relaying to it faster than it reads.
	if _, room := tsess.out.relayRoom(); proto.Size(fwd) > room {
		s.counters.RelayRefused.Add(1)
		s.counters.refuse(RefusedSendBudget)
		return errf(CodeTooLarge, "relay too large: at most %d bytes can be queued for %s", room, dst)
	}
	if !tsess.enqueue(fwd, true) {
		return s.targetBehind(dst)
	}
	s.counters.Relayed.Add(1)
	return nil
}

func (s *Server) targetBehind(dst protocol.ActorID) *protocol.ErrorResponse {
	s.counters.RelayRefused.Add(1)
	s.counters.refuse(RefusedSendBudget)
	return errf(CodeUnavailable, "%s is not keeping up; retry", dst)
}

// roleAssignment tells to whether it offers in its pair with from.
func roleAssignment(id, replyFor string, from, to protocol.ActorID, offers bool) *protocol.SignalingEnvelope {
	env := &protocol.SignalingEnvelope{
		EnvelopeId: proto.String(id),
		Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
			Source: from.Proto(), Target: to.Proto(),
			Payload: &protocol.ActrRelay_RoleAssignment{RoleAssignment: &protocol.RoleAssignment{IsOfferer: proto.Bool(offers)}}}},
	}
	if replyFor != "" {
		env.ReplyFor = proto.String(replyFor)
	}
	return env
}

// offers reports whether a offers in its pair with b, by actr's rule: an
// actor that connected with webrtc_role=answer never offers when the other
// did not; otherwise the larger of the two by (realm, serial number,
// manufacturer, name) offers (version is not compared; two ids equal in all
// four fall back to the whole id, so that exactly one side offers).
func offers(a, b protocol.ActorID, aAnswerOnly, bAnswerOnly bool) bool {
	if aAnswerOnly != bAnswerOnly {
		return bAnswerOnly
	}
	c := cmp.Or(cmp.Compare(a.Realm, b.Realm), cmp.Compare(a.Serial, b.Serial),
		strings.Compare(a.Manufacturer, b.Manufacturer), strings.Compare(a.Name, b.Name))
	if c == 0 {
		c = a.Compare(b)
	}
	return c > 0
}
