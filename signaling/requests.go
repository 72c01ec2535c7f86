package signaling

import (
	"crypto/ed25519"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
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
	if ss.query {
		// As actr's server: a connection opened with an identity is that
		// actor's; new actors register over HTTP.
		s.counters.Malformed.Add(1)
		return errf(CodeGone, "this connection already speaks for an actor: register new actors with POST %s", RegisterPath)
	}
	ok, id, refusal := s.registerActor(req, ss.addr, ss.secret, ss)
	if refusal != nil {
		return refusal
	}
	ss.reply(envID, id, &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RegisterResponse{
		RegisterResponse: &protocol.RegisterResponse{Result: &protocol.RegisterResponse_Success{Success: ok}}}})
	return nil
}

// registerActor registers a new actor as req asks, charging the
// registration to the remote address addr (nil: none, in tests) and
// checking the realm secret or join token presented against the realm's policy. With ss nil (HTTP
// registration) the actor is registered offline until a connection binds
// to it (bindVerified); otherwise ss is bound to it at once.
func (s *Server) registerActor(req *protocol.RegisterRequest, addr *addrState, secret admission, ss *session) (*protocol.RegisterOk, protocol.ActorID, *protocol.ErrorResponse) {
	t := typeFromProto(req.GetActrType())
	realm := req.GetRealm().GetRealmId()
	if t.Manufacturer == "" || t.Name == "" {
		s.counters.Malformed.Add(1)
		return nil, protocol.ActorID{}, errorResponse(CodeBadRequest, "register_request needs an actr_type with a manufacturer and a name")
	}
	if t.Version == "" {
		// actr requires a version; we are lenient with our own older
		// clients and give them the default.
		t.Version = protocol.DefaultVersion
	}
	if refusal := s.checkType(t, "register_request.actr_type"); refusal != nil {
		return nil, protocol.ActorID{}, refusal
	}
	var holder ed25519.PublicKey
	if hk := req.GetHolderKey(); hk != nil {
		if len(hk) != ed25519.PublicKeySize {
			s.counters.Malformed.Add(1)
			return nil, protocol.ActorID{}, errf(CodeBadRequest, "register_request.holder_key must be a %d-byte Ed25519 public key, not %d bytes", ed25519.PublicKeySize, len(hk))
		}
		holder = ed25519.PublicKey(append([]byte(nil), hk...))
	}
	if refusal := s.checkSpec(req.GetServiceSpec()); refusal != nil {
		return nil, protocol.ActorID{}, refusal
	}
	wsAddr, refusal := s.checkWSAddress(req.GetWsAddress())
	if refusal != nil {
		return nil, protocol.ActorID{}, refusal
	}
	if refusal := s.registrationAllowed(addr, secret, realm, time.Now()); refusal != nil {
		return nil, protocol.ActorID{}, refusal
	}
	serial, refusal := s.clusterSerial()
	if refusal != nil {
		return nil, protocol.ActorID{}, refusal
	}
	s.mu.Lock()
	if ss != nil && !ss.bound.IsZero() {
		s.mu.Unlock()
		return nil, protocol.ActorID{}, errf(CodeBadRequest, "this connection is already registered as %s", ss.bound)
	}
	if serial == 0 {
		s.serial++
		serial = s.serial
	}
	id := protocol.ActorID{Realm: realm, Serial: serial, Manufacturer: t.Manufacturer, Name: t.Name, Version: t.Version}
	now := time.Now()
	ok, err := s.issueLocked(id, holder, now)
	if err != nil {
		s.mu.Unlock()
		return nil, protocol.ActorID{}, errf(CodeBadRequest, "cannot issue a credential: %v", err)
	}
	e := &actorEntry{id: id, lastSeen: now, subs: map[ActorType]struct{}{}, rate: newBucket(s.cfg.RateBurst, now),
		wsAddress: completeWSAddress(wsAddr, id), fresh: ss == nil, spec: req.GetServiceSpec(),
		credExp: ok.GetCredentialExpiresAt().AsTime()}
	s.addLocked(e)
	if ss != nil {
		s.attachLocked(e, ss)
		ss.bound = id
		ss.authed.Store(true)
		s.presenceLocked(id, true)
	}
	s.mu.Unlock()
	s.counters.Registrations.Add(1)
	s.log.Info("actor registered", "actor", id.String(), "over", map[bool]string{true: "socket", false: "http"}[ss != nil])
	return ok, id, nil
}

// authenticate decides whether the connection may speak for source. A
// connection that registered, or proved itself once, is trusted for its
// actor: its envelopes must name that actor, and their credentials are
// not looked at again. A connection that has not (a resume after a
// reconnect) must present a credential for source that checkPresented
// accepts (holder-bound, with a proof of possession made for this
// server), and is then bound to source. It returns the actor's entry.
func (ss *session) authenticate(source *protocol.ActrId, cred *protocol.AIdCredential, proof *protocol.ProofOfPossession) (*actorEntry, *protocol.ErrorResponse) {
	s := ss.srv
	id, err := protocol.ActorIDFromProto(source)
	if err != nil {
		s.counters.Malformed.Add(1)
		return nil, errorResponse(CodeBadRequest, "source is not a valid ActrId")
	}
	s.mu.Lock()
	bound := ss.bound
	s.mu.Unlock()
	var claims auth.Claims
	switch {
	case bound == id:
	case !bound.IsZero():
		s.counters.Unauthorized.Add(1)
		return nil, errf(CodeUnauthorized, "this connection speaks for %s, not %s", bound, id)
	default:
		var refusal *protocol.ErrorResponse
		if claims, refusal = s.checkPresented(id, cred, proof); refusal != nil {
			return nil, refusal
		}
	}
	return ss.bindVerified(id, claims, time.Now())
}

// bindVerified binds the connection to id, an actor whose credential the
// caller has just checked (claims; zero when the connection was already
// trusted): from an envelope's source and credential (authenticate), or
// from the query of the connection's upgrade request (serveQuerySocket).
// A connection bound to another actor is refused; a connection of id's
// already bound elsewhere is replaced. An actor the server does not know
// (expired, or the server restarted) is registered again: the credential
// is the proof. It charges the actor's rate bucket and returns the
// actor's entry.
func (ss *session) bindVerified(id protocol.ActorID, claims auth.Claims, now time.Time) (*actorEntry, *protocol.ErrorResponse) {
	s := ss.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ss.bound.IsZero() && ss.bound != id {
		s.counters.Unauthorized.Add(1)
		return nil, errf(CodeUnauthorized, "this connection speaks for %s, not %s", ss.bound, id)
	}
	ss.authed.Store(true)
	e := s.actors[id]
	if e == nil { // resuming after expiry, a server restart or a failover: the credential is the proof
		e = &actorEntry{id: id, subs: map[ActorType]struct{}{}, rate: newBucket(s.cfg.RateBurst, now)}
		if s.cluster != nil {
			// Failing over from another server of the cluster: what it
			// registered there (its gate, its service) comes with it.
			if was, ok := s.cluster.Lookup(id); ok {
				e.wsAddress, e.spec = was.WSAddress, was.Spec
				s.counters.ClusterFailovers.Add(1)
			}
		}
		s.addLocked(e)
	}
	if claims.Bound() {
		e.holder = claims.HolderKey
	}
	if claims.ExpiresAt.After(e.credExp) {
		e.credExp = claims.ExpiresAt
	}
	// Per actor, across its connections: a new connection replaces the
	// old one but finds the bucket as the old one left it.
	if !e.rate.take(now, s.cfg.RateLimit, s.cfg.RateBurst) {
		s.counters.RateLimited.Add(1)
		s.counters.refuse(RefusedActorRate)
		return nil, errorResponse(CodeRateLimited, "rate limit exceeded (actor_rate): slow down")
	}
	if e.sess != ss {
		wasOnline := e.sess != nil
		if old := e.sess; old != nil {
			old.bound = protocol.ActorID{}
			old.close(DisconnectReplaced, websocket.StatusPolicyViolation, "replaced by a newer connection of the same actor")
		}
		s.attachLocked(e, ss)
		ss.bound = id
		if !wasOnline {
			if e.fresh { // registered over HTTP: its first connection
				e.fresh = false
			} else {
				s.counters.Resumes.Add(1)
			}
			s.presenceLocked(id, true)
		}
	}
	e.lastSeen = now
	return e, nil
}

func (ss *session) actorRequest(envID string, m *protocol.ActrToSignaling) *protocol.ErrorResponse {
	s := ss.srv
	e, refusal := ss.authenticate(m.GetSource(), m.GetCredential(), m.GetProof())
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
		if who := p.UnregisterRequest.GetActrId(); who != nil {
			if named, err := protocol.ActorIDFromProto(who); err != nil || named != id {
				return errf(CodeForbidden, "unregister_request.actr_id names another actor than the source %s: an actor may unregister only itself", id)
			}
		}
		s.mu.Lock()
		if s.actors[id] == e {
			s.removeLocked(e)
		}
		ss.bound = protocol.ActorID{}
		// Whatever it presented before, and its renewal token, no longer
		// work here.
		now := time.Now()
		s.revokeLocked(id, later(e.credExp, now.Add(s.cfg.CredentialTTL)), now)
		s.mu.Unlock()
		s.counters.Unregistrations.Add(1)
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_UnregisterResponse{UnregisterResponse: &protocol.UnregisterResponse{
			Result: &protocol.UnregisterResponse_Success{Success: &protocol.UnregisterOk{}}}}}
	case *protocol.ActrToSignaling_CredentialRenewal:
		ok, refusal := s.renew(id, p.CredentialRenewal.GetRenewalToken())
		if refusal != nil {
			if ok = s.renewFailedOver(id, e); ok == nil {
				return refusal
			}
		}
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RegisterResponse{RegisterResponse: &protocol.RegisterResponse{
			Result: &protocol.RegisterResponse_Success{Success: ok}}}}
	case *protocol.ActrToSignaling_GetSigningKeyRequest:
		var refusal *protocol.ErrorResponse
		if out, refusal = s.signingKey(p.GetSigningKeyRequest); refusal != nil {
			return refusal
		}
	case *protocol.ActrToSignaling_GetServiceSpecRequest:
		out = s.serviceSpec(id.Realm, p.GetServiceSpecRequest)
	case *protocol.ActrToSignaling_DiscoveryRequest:
		if refusal := s.checkType(ActorType{Manufacturer: p.DiscoveryRequest.GetManufacturer()}, "discovery_request"); refusal != nil {
			return refusal
		}
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_DiscoveryResponse{DiscoveryResponse: &protocol.DiscoveryResponse{
			Result: &protocol.DiscoveryResponse_Success{Success: &protocol.DiscoveryOk{Entries: s.discover(id.Realm, p.DiscoveryRequest)}}}}}
	case *protocol.ActrToSignaling_RouteCandidatesRequest:
		if refusal := s.checkType(typeFromProto(p.RouteCandidatesRequest.GetTargetType()), "route_candidates_request.target_type"); refusal != nil {
			return refusal
		}
		out = &protocol.SignalingToActr{Payload: &protocol.SignalingToActr_RouteCandidatesResponse{RouteCandidatesResponse: &protocol.RouteCandidatesResponse{
			Result: &protocol.RouteCandidatesResponse_Success{Success: s.candidates(id.Realm, p.RouteCandidatesRequest)}}}}
	case *protocol.ActrToSignaling_SubscribeActrUpRequest:
		t := typeFromProto(p.SubscribeActrUpRequest.GetTargetType())
		if refusal := s.checkType(t, "subscribe_actr_up_request.target_type"); refusal != nil {
			return refusal
		}
		s.mu.Lock()
		if _, ok := e.subs[t]; !ok && len(e.subs) >= s.cfg.MaxSubscriptions {
			s.mu.Unlock()
			s.counters.refuse(RefusedSubscriptions)
			return errf(CodeTooLarge, "too many presence subscriptions: at most %d per actor; unsubscribe from a type first", s.cfg.MaxSubscriptions)
		}
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
		if refusal := s.checkType(t, "unsubscribe_actr_up_request.target_type"); refusal != nil {
			return refusal
		}
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
