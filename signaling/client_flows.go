package signaling

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// register registers a new actor over HTTP (POST <base>/register) and
// adopts its id and credential.
func (c *Client) register(ctx context.Context) error {
	req := &protocol.RegisterRequest{ActrType: c.cfg.Type.proto(), Realm: &protocol.Realm{RealmId: proto.Uint32(c.cfg.Realm)}, ServiceSpec: c.cfg.ServiceSpec,
		HolderKey: c.HolderPublicKey()}
	if c.cfg.WSAddress != "" {
		req.WsAddress = proto.String(c.cfg.WSAddress)
	}
	var resp protocol.RegisterResponse
	status, err := c.postProtobuf(ctx, c.endpoint().register, req, &resp)
	if err != nil {
		return fmt.Errorf("signaling: registering: %w", err)
	}
	if resp.GetError() == nil && status != http.StatusOK {
		return fmt.Errorf("signaling: registering: the server answered %d", status)
	}
	if err := c.adoptRegistration(&resp); err != nil {
		return fmt.Errorf("signaling: registering: %w", err)
	}
	c.log.Info("signaling: registered", "actor", c.ID().String())
	return nil
}

// adoptRegistration takes the id and credential of a register_response.
func (c *Client) adoptRegistration(resp *protocol.RegisterResponse) error {
	if e := resp.GetError(); e != nil {
		return &ErrorResponseError{Code: e.GetCode(), Message: e.GetMessage()}
	}
	ok := resp.GetSuccess()
	if ok == nil {
		return errors.New("signaling: the server answered a registration without a result")
	}
	id, err := protocol.ActorIDFromProto(ok.GetActrId())
	if err != nil {
		return fmt.Errorf("signaling: the server assigned an invalid id: %w", err)
	}
	exp := ok.GetCredentialExpiresAt().AsTime()
	audience := ok.GetProofAudience()
	if audience == "" && len(ok.GetSigningPubkey()) == ed25519.PublicKeySize {
		audience = auth.SignalingAudience(ok.GetSigningPubkey())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.id, c.cred, c.credExp = id, ok.GetCredential(), exp
	c.renewal, c.audience = ok.GetRenewalToken(), audience
	c.credTTL = time.Until(exp)
	if tok := ok.GetRenewalToken(); len(tok) > 0 {
		c.renewal = tok
	}
	c.heartbeat = time.Duration(max(1, ok.GetSignalingHeartbeatIntervalSecs())) * time.Second
	c.ice = iceServersOf(ok)
	return nil
}

func (c *Client) setConn(cc *clientConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn = cc
	close(c.connected)
	c.connected = make(chan struct{})
}

// run owns the connection: it keeps the actor present and, when the
// connection drops, reconnects with backoff and resumes.
func (c *Client) run(cc *clientConn) {
	defer c.wg.Done()
	for {
		c.keepAlive(cc)
		c.mu.Lock()
		c.conn = nil
		lostOn := c.cur
		c.mu.Unlock()
		if c.ctx.Err() != nil {
			return
		}
		c.reportUnconfirmed(cc, time.Now())
		c.log.Info("signaling: connection lost; reconnecting", "actor", c.ID().String(), "server", c.endpoint().socket)
		var ok bool
		if cc, ok = c.reconnect(lostOn + 1); !ok {
			return
		}
	}
}

// keepAlive sends heartbeats and renews the credential until cc ends.
func (c *Client) keepAlive(cc *clientConn) {
	c.mu.Lock()
	every := c.heartbeat
	c.mu.Unlock()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-cc.done:
			return
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		c.forgetRelays(time.Now().Add(-c.cfg.CallTimeout))
		ctx, cancel := context.WithTimeout(c.ctx, every)
		err := c.ping(ctx, cc)
		if err == nil && c.renewDue() {
			err = c.RenewCredential(ctx)
		}
		cancel()
		c.mu.Lock()
		if c.heartbeat != every { // the server suggested another interval
			every = c.heartbeat
			t.Reset(every)
		}
		c.mu.Unlock()
		if err != nil && c.ctx.Err() == nil {
			var refused *ErrorResponseError
			switch {
			case !errors.As(err, &refused): // no answer: the server is gone
				c.log.Info("signaling: heartbeat failed; dropping the connection", "err", err)
				_ = cc.ws.CloseNow()
			case refused.Code == CodeUnauthorized:
				// The server will not renew (it restarted and forgot the
				// renewal token, or the token expired): rather than run
				// on to the credential's end, which gates would refuse,
				// reconnect now; the resume registers anew.
				c.log.Warn("signaling: renewal refused; registering anew", "err", err)
				c.mu.Lock()
				c.credExp = time.Time{}
				c.mu.Unlock()
				_ = cc.ws.CloseNow()
			}
		}
	}
}

func (c *Client) renewDue() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Until(c.credExp) < c.credTTL/3
}

func (c *Client) ping(ctx context.Context, cc *clientConn) error {
	c.mu.Lock()
	id, cred := c.id, c.cred
	c.mu.Unlock()
	avail, backlog := c.cfg.Heartbeat()
	out, err := c.actorCallOn(ctx, cc, id, cred, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_Ping{
		Ping: &protocol.Ping{Availability: avail.Enum(), MailboxBacklog: proto.Float32(backlog)}}})
	if err != nil {
		return err
	}
	if s := out.GetPong().GetSuggestIntervalSecs(); s > 0 {
		c.mu.Lock()
		c.heartbeat = time.Duration(s) * time.Second
		c.mu.Unlock()
	}
	return nil
}

// reconnect dials until it has a connection on which the actor resumed
// (or re-registered), then restores the subscriptions: each round tries
// every server once, from start, and rounds back off.
func (c *Client) reconnect(start int) (*clientConn, bool) {
	delay := c.cfg.ReconnectMin
	for {
		t := time.NewTimer(time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64())))
		select {
		case <-c.ctx.Done():
			t.Stop()
			return nil, false
		case <-t.C:
		}
		delay = min(2*delay, c.cfg.ReconnectMax)
		cc, err := c.reconnectRound(start)
		if err == nil {
			return cc, true
		}
		if c.ctx.Err() != nil {
			return nil, false
		}
		c.log.Info("signaling: no server answered; retrying", "err", err, "retry_in", delay)
	}
}

// resume opens a socket with the client's credential if it is still
// valid (the server binds it to the actor at the upgrade), else registers
// anew first (also when the server refuses the credential); then it
// restores every subscription.
func (c *Client) resume(ctx context.Context) (*clientConn, error) {
	c.mu.Lock()
	valid := !c.id.IsZero() && time.Until(c.credExp) > c.cfg.CallTimeout
	subs := make([]ActorType, 0, len(c.subs))
	for t := range c.subs {
		subs = append(subs, t)
	}
	c.mu.Unlock()
	if !valid {
		if err := c.register(ctx); err != nil {
			return nil, err
		}
	}
	cc, err := c.dial(ctx)
	if valid && errors.Is(err, ErrCredentialRefused) {
		// A server with another key, or that forgot us: a new identity.
		if err = c.register(ctx); err == nil {
			cc, err = c.dial(ctx)
		}
	}
	if err != nil {
		return nil, err
	}
	// The first answer on the socket: the server has bound it to the actor
	// (it does so before reading), so the actor is online when this
	// returns.
	if err := c.ping(ctx, cc); err != nil {
		_ = cc.ws.CloseNow()
		return nil, fmt.Errorf("signaling: resuming: %w", err)
	}
	for _, t := range subs {
		if err := c.subscribeOn(ctx, cc, t); err != nil {
			_ = cc.ws.CloseNow()
			return nil, fmt.Errorf("signaling: restoring the subscription to %s: %w", t, err)
		}
	}
	// Connected only once fully resumed, so no caller sees a half-restored
	// client.
	c.setConn(cc)
	c.log.Info("signaling: resumed", "actor", c.ID().String(), "subscriptions", len(subs))
	return cc, nil
}

// RenewCredential asks the server for a fresh credential now. The client
// also renews by itself when a third of the credential's life remains.
func (c *Client) RenewCredential(ctx context.Context) error {
	c.mu.Lock()
	id, tok := c.id, c.renewal
	c.mu.Unlock()
	if len(tok) > 0 && !id.IsZero() {
		// POST <base>/renew, as actr renews.
		var resp protocol.RenewCredentialResponse
		if _, err := c.postProtobuf(ctx, c.endpoint().renew, &protocol.RenewCredentialRequest{ActrId: id.Proto(), RenewalToken: tok}, &resp); err != nil {
			return fmt.Errorf("signaling: renewing the credential: %w", err)
		}
		r := &protocol.RegisterResponse{}
		if ok := resp.GetSuccess(); ok != nil {
			r.Result = &protocol.RegisterResponse_Success{Success: ok}
		} else {
			r.Result = &protocol.RegisterResponse_Error{Error: resp.GetError()}
		}
		err := c.adoptRegistration(r)
		var refused *ErrorResponseError
		if err == nil || !errors.As(err, &refused) || refused.Code != CodeUnauthorized {
			return err
		}
		// The token may be another server's: in a cluster, the actor
		// failed over here. On the socket, where it proved its holder
		// key, the server of a cluster renews without it.
	}
	token := tok
	out, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_CredentialRenewal{
		CredentialRenewal: &protocol.CredentialUpdateRequest{RenewalToken: token}}})
	if err != nil {
		return fmt.Errorf("signaling: renewing the credential: %w", err)
	}
	return c.adoptRegistration(out.GetRegisterResponse())
}

// Unregister withdraws the actor; the client stays connected but has no id.
func (c *Client) Unregister(ctx context.Context) error {
	_, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_UnregisterRequest{
		UnregisterRequest: &protocol.UnregisterRequest{ActrId: c.ID().Proto()}}})
	if err != nil {
		return fmt.Errorf("signaling: unregistering: %w", err)
	}
	c.mu.Lock()
	c.id, c.cred, c.renewal = protocol.ActorID{}, nil, nil
	c.mu.Unlock()
	return nil
}

// Discover lists the actor types present in the client's realm, optionally
// only those of one manufacturer, at most limit of them (0: no limit).
func (c *Client) Discover(ctx context.Context, manufacturer string, limit int) ([]ActorType, error) {
	req := &protocol.DiscoveryRequest{Limit: proto.Uint32(uint32(limit))}
	if manufacturer != "" {
		req.Manufacturer = proto.String(manufacturer)
	}
	out, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_DiscoveryRequest{DiscoveryRequest: req}})
	if err != nil {
		return nil, fmt.Errorf("signaling: discovery: %w", err)
	}
	var types []ActorType
	for _, e := range out.GetDiscoveryResponse().GetSuccess().GetEntries() {
		types = append(types, typeFromProto(e.GetActrType()))
	}
	return types, nil
}

// RouteCandidates returns online actors of type t, best first (by reported
// availability, then mailbox backlog), at most limit (0: server default).
func (c *Client) RouteCandidates(ctx context.Context, t ActorType, limit int) ([]protocol.ActorID, error) {
	out, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_RouteCandidatesRequest{
		RouteCandidatesRequest: &protocol.RouteCandidatesRequest{
			TargetType:        t.proto(),
			Criteria:          &protocol.NodeSelectionCriteria{CandidateCount: proto.Uint32(uint32(limit))},
			ClientFingerprint: proto.String(""),
		}}})
	if err != nil {
		return nil, fmt.Errorf("signaling: route candidates: %w", err)
	}
	ok := out.GetRouteCandidatesResponse().GetSuccess()
	var ids []protocol.ActorID
	for _, p := range ok.GetCandidates() {
		if id, err := protocol.ActorIDFromProto(p); err == nil {
			ids = append(ids, id)
		}
	}
	c.learnGates(ok.GetWsAddressMap())
	return ids, nil
}

// maxGates bounds the peers' gates a client remembers.
const maxGates = 4096

// learnGates remembers the WebSocket gates of route candidates.
func (c *Client) learnGates(m []*protocol.WsAddressEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range m {
		id, err := protocol.ActorIDFromProto(e.GetCandidateId())
		if err != nil || e.GetWsAddress() == "" {
			continue
		}
		if _, known := c.gates[id]; !known && len(c.gates) >= maxGates {
			clear(c.gates) // rare; the next lookups learn them again
		}
		c.gates[id] = e.GetWsAddress()
	}
}

// GateURL returns the WebSocket gate peer registered with the server, ""
// when it registered none or is not online. It asks the server (route
// candidates of peer's type) unless a route-candidates answer already
// named it.
func (c *Client) GateURL(ctx context.Context, peer protocol.ActorID) (string, error) {
	c.mu.Lock()
	u, ok := c.gates[peer]
	c.mu.Unlock()
	if ok {
		return u, nil
	}
	if _, err := c.RouteCandidates(ctx, TypeOf(peer), maxAnswerAsked); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gates[peer], nil
}

// maxAnswerAsked is the candidate count GateURL asks for (the server caps
// it at its Limits.MaxAnswer).
const maxAnswerAsked = 1 << 16

// Subscribe asks for presence events about actors of type t (see
// Presence); the subscription survives reconnects.
func (c *Client) Subscribe(ctx context.Context, t ActorType) error {
	cc, _, _, err := c.current()
	if err != nil {
		return err
	}
	if err := c.subscribeOn(ctx, cc, t); err != nil {
		return fmt.Errorf("signaling: subscribing to %s: %w", t, err)
	}
	c.mu.Lock()
	c.subs[t] = struct{}{}
	c.mu.Unlock()
	return nil
}

func (c *Client) subscribeOn(ctx context.Context, cc *clientConn, t ActorType) error {
	c.mu.Lock()
	id, cred := c.id, c.cred
	c.mu.Unlock()
	_, err := c.actorCallOn(ctx, cc, id, cred, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_SubscribeActrUpRequest{
		SubscribeActrUpRequest: &protocol.SubscribeActrUpRequest{TargetType: t.proto()}}})
	return err
}

// Unsubscribe stops presence events about type t.
func (c *Client) Unsubscribe(ctx context.Context, t ActorType) error {
	c.mu.Lock()
	delete(c.subs, t)
	c.mu.Unlock()
	_, err := c.actorCall(ctx, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_UnsubscribeActrUpRequest{
		UnsubscribeActrUpRequest: &protocol.UnsubscribeActrUpRequest{TargetType: t.proto()}}})
	if err != nil {
		return fmt.Errorf("signaling: unsubscribing from %s: %w", t, err)
	}
	return nil
}

// SendIceCandidate relays an ICE candidate to target.
func (c *Client) SendIceCandidate(target protocol.ActorID, cand *protocol.IceCandidate) error {
	return c.relay(target, func(r *protocol.ActrRelay) { r.Payload = &protocol.ActrRelay_IceCandidate{IceCandidate: cand} })
}

// SendIceRestartRequest relays to target, the offerer of a WebRTC session
// this actor answers, a request to restart ICE (why says what was seen).
func (c *Client) SendIceRestartRequest(target protocol.ActorID, why string) error {
	return c.relay(target, func(r *protocol.ActrRelay) {
		r.Payload = &protocol.ActrRelay_IceRestartRequest{IceRestartRequest: &protocol.IceRestartRequest{Reason: &why}}
	})
}

// SendSessionDescription relays an SDP offer or answer to target.
func (c *Client) SendSessionDescription(target protocol.ActorID, sd *protocol.SessionDescription) error {
	return c.relay(target, func(r *protocol.ActrRelay) {
		r.Payload = &protocol.ActrRelay_SessionDescription{SessionDescription: sd}
	})
}

// relay writes a relay envelope and returns once it is written. The server
// forwards it without answering; a refusal (target offline, in another
// realm, congested) arrives later on Refusals.
func (c *Client) relay(target protocol.ActorID, set func(*protocol.ActrRelay)) error {
	cc, id, cred, err := c.current()
	if err != nil {
		return err
	}
	r := &protocol.ActrRelay{Source: id.Proto(), Credential: cred, Target: target.Proto(), Proof: c.proofFor(cc, id, cred)}
	set(r)
	envID := c.prefix + strconv.FormatUint(c.seq.Add(1), 36)
	c.relayMu.Lock()
	c.relaysSent[envID] = relaySent{target: target, at: time.Now(), conn: cc}
	c.relayMu.Unlock()
	return c.write(cc, &protocol.SignalingEnvelope{
		EnvelopeId:      proto.String(envID),
		EnvelopeVersion: proto.Uint32(protocol.EnvelopeVersion),
		Flow:            &protocol.SignalingEnvelope_ActrRelay{ActrRelay: r},
	})
}

// NegotiateRole asks the server which of this actor and peer offers; the
// server tells peer too, the opposite answer.
func (c *Client) NegotiateRole(ctx context.Context, peer protocol.ActorID) (offerer bool, err error) {
	cc, id, cred, err := c.current()
	if err != nil {
		return false, err
	}
	r, err := c.callOn(ctx, cc, &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
		Source: id.Proto(), Credential: cred, Target: peer.Proto(), Proof: c.proofFor(cc, id, cred),
		Payload: &protocol.ActrRelay_RoleNegotiation{RoleNegotiation: &protocol.RoleNegotiation{From: id.Proto(), To: peer.Proto(), RealmId: proto.Uint32(id.Realm)}}}}})
	if err != nil {
		return false, fmt.Errorf("signaling: negotiating roles with %s: %w", peer, err)
	}
	ra := r.GetActrRelay().GetRoleAssignment()
	if ra == nil {
		return false, errors.New("signaling: the server answered a role negotiation without an assignment")
	}
	return ra.GetIsOfferer(), nil
}

// forgetRelays drops the records of relays sent before cutoff: a refusal
// comes at once if it comes at all.
func (c *Client) forgetRelays(cutoff time.Time) {
	c.relayMu.Lock()
	defer c.relayMu.Unlock()
	for id, r := range c.relaysSent {
		if r.at.Before(cutoff) {
			delete(c.relaysSent, id)
		}
	}
}

// Ping sends a heartbeat now (the client also sends them by itself).
func (c *Client) Ping(ctx context.Context) error {
	cc, _, _, err := c.current()
	if err != nil {
		return err
	}
	return c.ping(ctx, cc)
}
