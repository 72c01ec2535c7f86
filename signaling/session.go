package signaling

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// session is one connection to the server.
type session struct {
	srv    *Server
	ws     *websocket.Conn // nil in tests that drive handle directly
	secret string
	out    chan []byte
	done   chan struct{}
	once   sync.Once

	bound protocol.ActorID // the actor this connection speaks for; guarded by srv.mu

	// Owned by the reader goroutine.
	tokens     float64
	last       time.Time
	violations int
}

func (s *Server) newSession(secret string, ws *websocket.Conn) *session {
	ss := &session{srv: s, ws: ws, secret: secret, out: make(chan []byte, s.cfg.SendQueue),
		done: make(chan struct{}), tokens: float64(s.cfg.RateBurst), last: time.Now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.sessions[ss] = struct{}{}
	return ss
}

// run reads envelopes until the connection ends, with a writer goroutine
// beside it, then unbinds the actor (which stays registered until its
// presence times out, so it can resume).
func (ss *session) run() {
	var wg sync.WaitGroup
	wg.Go(ss.writer)
	defer func() {
		ss.close(websocket.StatusNormalClosure, "")
		wg.Wait()
		s := ss.srv
		s.mu.Lock()
		delete(s.sessions, ss)
		if e := s.actors[ss.bound]; e != nil && e.sess == ss {
			e.sess = nil
		}
		s.mu.Unlock()
	}()
	for {
		typ, data, err := ss.ws.Read(context.Background())
		if err != nil {
			return
		}
		if typ != websocket.MessageBinary {
			ss.refuse("", CodeBadRequest, "envelopes are binary protobuf messages")
			ss.srv.counters.Malformed.Add(1)
			if ss.abusive() {
				return
			}
			continue
		}
		if !ss.handle(data) {
			return
		}
	}
}

func (ss *session) writer() {
	for {
		select {
		case b := <-ss.out:
			if err := ss.ws.Write(context.Background(), websocket.MessageBinary, b); err != nil {
				ss.close(websocket.StatusInternalError, "write failed")
				return
			}
		case <-ss.done:
			return
		}
	}
}

// close ends the connection; the reader then ends the session.
func (ss *session) close(code websocket.StatusCode, reason string) {
	ss.once.Do(func() {
		close(ss.done)
		if ss.ws != nil {
			// Not inline: the close handshake waits (boundedly, 5 s) for the
			// reader, which may be the caller.
			ss.srv.wg.Add(1)
			go func() {
				defer ss.srv.wg.Done()
				_ = ss.ws.Close(code, reason)
			}()
		}
	})
}

// send queues env without blocking; it reports false when the queue is
// full (the peer is not reading) or the session is closed.
func (ss *session) send(env *protocol.SignalingEnvelope) bool {
	if env.EnvelopeVersion == nil {
		env.EnvelopeVersion = proto.Uint32(1)
	}
	b, err := proto.Marshal(env)
	if err != nil {
		return false
	}
	select {
	case <-ss.done:
		return false
	default:
	}
	select {
	case ss.out <- b:
		return true
	default:
		ss.srv.counters.Dropped.Add(1)
		return false
	}
}

func (ss *session) refuse(replyFor string, code uint32, msg string) {
	env := &protocol.SignalingEnvelope{
		EnvelopeId: proto.String(ss.srv.nextID()),
		Flow:       &protocol.SignalingEnvelope_EnvelopeError{EnvelopeError: errorResponse(code, msg)},
	}
	if replyFor != "" {
		env.ReplyFor = proto.String(replyFor)
	}
	ss.send(env)
}

// abusive counts a refused envelope; it reports whether the connection has
// refused so many more than it accepted that it must be closed.
func (ss *session) abusive() bool {
	ss.violations++
	if ss.violations > ss.srv.cfg.MaxViolations {
		ss.srv.counters.AbuseClosed.Add(1)
		ss.srv.log.Warn("closing an abusive signaling connection", "actor", ss.boundString())
		ss.close(websocket.StatusPolicyViolation, "too many refused envelopes")
		return true
	}
	return false
}

func (ss *session) boundString() string {
	ss.srv.mu.Lock()
	defer ss.srv.mu.Unlock()
	if ss.bound.IsZero() {
		return "(unregistered)"
	}
	return ss.bound.String()
}

// allow takes a token from the connection's bucket.
func (ss *session) allow(now time.Time) bool {
	cfg := &ss.srv.cfg
	ss.tokens = min(float64(cfg.RateBurst), ss.tokens+now.Sub(ss.last).Seconds()*cfg.RateLimit)
	ss.last = now
	if ss.tokens < 1 {
		return false
	}
	ss.tokens--
	return true
}

// handle processes one envelope; it reports false when the connection
// must end.
func (ss *session) handle(data []byte) bool {
	s := ss.srv
	if !ss.allow(time.Now()) {
		s.counters.RateLimited.Add(1)
		ss.refuse("", CodeRateLimited, "rate limit exceeded: slow down")
		return !ss.abusive()
	}
	var env protocol.SignalingEnvelope
	if err := proto.Unmarshal(data, &env); err != nil {
		s.counters.Malformed.Add(1)
		ss.refuse("", CodeBadRequest, "not a SignalingEnvelope")
		return !ss.abusive()
	}
	id := env.GetEnvelopeId()
	if id == "" || len(id) > 128 {
		s.counters.Malformed.Add(1)
		ss.refuse("", CodeBadRequest, "envelope_id must be 1 to 128 bytes")
		return !ss.abusive()
	}
	var refusal *protocol.ErrorResponse
	switch f := env.Flow.(type) {
	case *protocol.SignalingEnvelope_PeerToServer:
		refusal = ss.register(id, f.PeerToServer)
	case *protocol.SignalingEnvelope_ActrToServer:
		refusal = ss.actorRequest(id, f.ActrToServer)
	case *protocol.SignalingEnvelope_ActrRelay:
		refusal = ss.relay(id, f.ActrRelay)
	default:
		refusal = errorResponse(CodeBadRequest, "an actor may send peer_to_server, actr_to_server or actr_relay")
		s.counters.Malformed.Add(1)
	}
	if refusal != nil {
		ss.refuse(id, refusal.GetCode(), refusal.GetMessage())
		return !ss.abusive()
	}
	if ss.violations > 0 {
		ss.violations--
	}
	return true
}

func (ss *session) reply(replyFor string, target protocol.ActorID, msg *protocol.SignalingToActr) {
	msg.Target = target.Proto()
	ss.send(&protocol.SignalingEnvelope{
		EnvelopeId: proto.String(ss.srv.nextID()),
		ReplyFor:   proto.String(replyFor),
		Flow:       &protocol.SignalingEnvelope_ServerToActr{ServerToActr: msg},
	})
}

func (ss *session) register(envID string, p *protocol.PeerToSignaling) *protocol.ErrorResponse {
	s := ss.srv
	req := p.GetRegisterRequest()
	if req == nil {
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "peer_to_server needs a register_request")
	}
	t := typeFromProto(req.GetActrType())
	realm := req.GetRealm().GetRealmId()
	if t.Manufacturer == "" || t.Name == "" || len(t.Manufacturer) > 255 || len(t.Name) > 255 {
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "register_request needs an actr_type with a manufacturer and a name of at most 255 bytes")
	}
	pol := s.policy(realm)
	if !pol.Open && !secretOK(pol.Secret, ss.secret) {
		s.counters.Unauthorized.Add(1)
		return errf(CodeForbidden, "realm %d does not admit this registration: present its secret in the %s header", realm, HeaderRealmSecret)
	}
	s.mu.Lock()
	if !ss.bound.IsZero() {
		s.mu.Unlock()
		return errf(CodeBadRequest, "this connection is already registered as %s", ss.bound)
	}
	s.serial++
	id := protocol.ActorID{Realm: realm, Serial: s.serial, Manufacturer: t.Manufacturer, Name: t.Name}
	ok, err := s.issue(id)
	if err != nil {
		s.mu.Unlock()
		return errf(CodeBadRequest, "cannot issue a credential: %v", err)
	}
	s.actors[id] = &actorEntry{id: id, sess: ss, lastSeen: time.Now(), subs: map[ActorType]struct{}{}}
	ss.bound = id
	s.presenceLocked(id, true)
	s.mu.Unlock()
	s.counters.Registrations.Add(1)
	s.log.Info("actor registered", "actor", id.String())
	ss.reply(envID, id, &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RegisterResponse{
		RegisterResponse: &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: ok}}}})
	return nil
}

// authenticate checks that cred proves source and binds the connection to
// source if it is not bound yet (a resume). It returns the actor's entry.
func (ss *session) authenticate(source *protocol.ActrId, cred *protocol.AIdCredential) (*actorEntry, *protocol.ErrorResponse) {
	s := ss.srv
	id, err := protocol.ActorIDFromProto(source)
	if err != nil {
		s.counters.Malformed.Add(1)
		return nil, errorResponse(CodeBadRequest, "source is not a valid ActrId")
	}
	claims, err := s.cfg.Verifier.VerifyFor(cred, id)
	if err != nil {
		s.counters.Unauthorized.Add(1)
		return nil, errf(CodeUnauthorized, "credential refused: %v", err)
	}
	_ = claims
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ss.bound.IsZero() && ss.bound != id {
		s.counters.Unauthorized.Add(1)
		return nil, errf(CodeUnauthorized, "this connection speaks for %s, not %s", ss.bound, id)
	}
	e := s.actors[id]
	now := time.Now()
	if e == nil { // resuming after expiry or a server restart: the credential is the proof
		e = &actorEntry{id: id, subs: map[ActorType]struct{}{}}
		s.actors[id] = e
	}
	if e.sess != ss {
		if old := e.sess; old != nil {
			old.bound = protocol.ActorID{}
			old.close(websocket.StatusPolicyViolation, "replaced by a newer connection of the same actor")
		}
		wasOnline := e.sess != nil
		e.sess = ss
		ss.bound = id
		if !wasOnline {
			s.counters.Resumes.Add(1)
			s.presenceLocked(id, true)
		}
	}
	e.lastSeen = now
	return e, nil
}

func (ss *session) actorRequest(envID string, m *protocol.ActrToSignaling) *protocol.ErrorResponse {
	s := ss.srv
	e, refusal := ss.authenticate(m.GetSource(), m.GetCredential())
	if refusal != nil {
		return refusal
	}
	id := e.id
	var out *protocol.SignalingToActr
	switch p := m.Payload.(type) {
	case *protocol.ActrToSignaling_Ping:
		s.mu.Lock()
		e.avail = p.Ping.GetAvailability()
		e.backlog = p.Ping.GetMailboxBacklog()
		s.mu.Unlock()
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_Pong{Pong: &protocol.Pong{
			Seq: proto.Uint64(s.ids.Load()), SuggestIntervalSecs: proto.Uint32(uint32(max(1, s.cfg.HeartbeatInterval/time.Second)))}}}
	case *protocol.ActrToSignaling_UnregisterRequest:
		s.mu.Lock()
		if s.actors[id] == e {
			s.removeLocked(e)
		}
		ss.bound = protocol.ActorID{}
		s.mu.Unlock()
		s.counters.Unregistrations.Add(1)
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_UnregisterResponse{UnregisterResponse: &protocol.UnregisterResponse{
			Result: &protocol.UnregisterResponse_Success{Success: &protocol.UnregisterOk{}}}}}
	case *protocol.ActrToSignaling_CredentialUpdateRequest:
		ok, err := s.issue(id)
		if err != nil {
			return errf(CodeBadRequest, "cannot issue a credential: %v", err)
		}
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RegisterResponse{RegisterResponse: &protocol.RegisterResponse{
			Result: &protocol.RegisterResponse_Success{Success: ok}}}}
	case *protocol.ActrToSignaling_DiscoveryRequest:
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_DiscoveryResponse{DiscoveryResponse: &protocol.DiscoveryResponse{
			Result: &protocol.DiscoveryResponse_Success{Success: &protocol.DiscoveryOk{ActrTypes: s.discover(id.Realm, p.DiscoveryRequest)}}}}}
	case *protocol.ActrToSignaling_RouteCandidatesRequest:
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RouteCandidatesResponse{RouteCandidatesResponse: &protocol.RouteCandidatesResponse{
			Result: &protocol.RouteCandidatesResponse_Success{Success: &protocol.RouteCandidatesOk{Candidates: s.candidates(id.Realm, p.RouteCandidatesRequest)}}}}}
	case *protocol.ActrToSignaling_SubscribeActrUpRequest:
		t := typeFromProto(p.SubscribeActrUpRequest.GetTargetType())
		s.mu.Lock()
		e.subs[t] = struct{}{}
		k := subKey{id.Realm, t}
		if s.subs[k] == nil {
			s.subs[k] = map[protocol.ActorID]struct{}{}
		}
		s.subs[k][id] = struct{}{}
		s.mu.Unlock()
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_SubscribeActrUpResponse{SubscribeActrUpResponse: &protocol.SubscribeActrUpResponse{
			Result: &protocol.SubscribeActrUpResponse_Success{Success: &protocol.SubscribeActrUpOk{}}}}}
	case *protocol.ActrToSignaling_UnsubscribeActrUpRequest:
		t := typeFromProto(p.UnsubscribeActrUpRequest.GetTargetType())
		s.mu.Lock()
		delete(e.subs, t)
		s.unsubscribeLocked(id, t)
		s.mu.Unlock()
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_UnsubscribeActrUpResponse{UnsubscribeActrUpResponse: &protocol.UnsubscribeActrUpResponse{
			Result: &protocol.UnsubscribeActrUpResponse_Success{Success: &protocol.UnsubscribeActrUpOk{}}}}}
	case *protocol.ActrToSignaling_Error:
		s.log.Info("an actor reported an error", "actor", id.String(), "code", p.Error.GetCode())
		return nil
	default:
		s.counters.Malformed.Add(1)
		return errorResponse(CodeBadRequest, "actr_to_server carries no request")
	}
	ss.reply(envID, id, out)
	return nil
}

func (s *Server) discover(realm uint32, req *protocol.DiscoveryRequest) []*protocol.ActrType {
	s.mu.Lock()
	seen := map[ActorType]struct{}{}
	for id, e := range s.actors {
		if id.Realm != realm || e.sess == nil {
			continue
		}
		if m := req.GetManufacturer(); m != "" && id.Manufacturer != m {
			continue
		}
		seen[TypeOf(id)] = struct{}{}
	}
	s.mu.Unlock()
	types := make([]ActorType, 0, len(seen))
	for t := range seen {
		types = append(types, t)
	}
	slices.SortFunc(types, func(a, b ActorType) int {
		if a.Manufacturer != b.Manufacturer {
			return compareStrings(a.Manufacturer, b.Manufacturer)
		}
		return compareStrings(a.Name, b.Name)
	})
	if l := int(req.GetLimit()); l > 0 && len(types) > l {
		types = types[:l]
	}
	out := make([]*protocol.ActrType, len(types))
	for i, t := range types {
		out[i] = t.proto()
	}
	return out
}

func (s *Server) candidates(realm uint32, req *protocol.RouteCandidatesRequest) []*protocol.ActrId {
	t := typeFromProto(req.GetTargetType())
	s.mu.Lock()
	var es []*actorEntry
	for id, e := range s.actors {
		if id.Realm == realm && e.sess != nil && TypeOf(id) == t {
			es = append(es, e)
		}
	}
	slices.SortFunc(es, byRank)
	limit := int(req.GetLimit())
	if limit <= 0 {
		limit = 16
	}
	if len(es) > limit {
		es = es[:limit]
	}
	out := make([]*protocol.ActrId, len(es))
	for i, e := range es {
		out[i] = e.id.Proto()
	}
	s.mu.Unlock()
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// relay forwards a WebRTC session message to its target, or answers a
// role negotiation for both sides.
func (ss *session) relay(envID string, r *protocol.ActrRelay) *protocol.ErrorResponse {
	s := ss.srv
	e, refusal := ss.authenticate(r.GetSource(), r.GetCredential())
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
		s.counters.RelayRefused.Add(1)
		return errf(CodeNotFound, "%s is not online", dst)
	}
	if _, ok := r.Payload.(*protocol.ActrRelay_RoleNegotiation); ok {
		// One offerer per pair, decided here the same way whichever side
		// asks and however many times: the smaller ActorID offers.
		srcOffers := src.Compare(dst) < 0
		if !tsess.send(roleAssignment(s.nextID(), "", src, dst, !srcOffers)) {
			s.counters.RelayRefused.Add(1)
			return errf(CodeUnavailable, "%s is not keeping up; retry", dst)
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
	if !tsess.send(fwd) {
		s.counters.RelayRefused.Add(1)
		return errf(CodeUnavailable, "%s is not keeping up; retry", dst)
	}
	s.counters.Relayed.Add(1)
	return nil
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
