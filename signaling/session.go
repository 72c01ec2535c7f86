package signaling

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// session is one connection to the server.
type session struct {
	srv    *Server
	ws     *websocket.Conn // nil in tests that drive handle directly
	secret admission       // what its handshake presented to register
	addr   *addrState      // the remote address's shared budgets
	out    *outbox
	ctx    context.Context // ends when the session closes
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	authed atomic.Bool   // registered or presented a valid credential
	reads  atomic.Uint64 // messages read: progress, for the keepalive

	bound protocol.ActorID // the actor this connection speaks for; guarded by srv.mu
	// Set before the session runs, read-only after.
	query      bool // opened with an identity in its query (SocketPath): no registration on it
	answerOnly bool // webrtc_role=answer: this actor never offers

	// Owned by the reader goroutine.
	tokens     bucket
	violations int
}

func (s *Server) newSession(secret admission, ws *websocket.Conn, addr *addrState) *session {
	now := time.Now()
	ss := &session{srv: s, ws: ws, secret: secret, addr: addr,
		out:  newOutbox(s.cfg.SendQueue, s.cfg.SendBudget, &s.counters.queued),
		done: make(chan struct{}), tokens: newBucket(s.cfg.RateBurst, now)}
	ss.ctx, ss.cancel = context.WithCancel(s.ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		ss.cancel()
		return nil
	}
	s.sessions[ss] = struct{}{}
	return ss
}

// run reads envelopes until the connection ends, with a writer and a
// watchdog goroutine beside it, then unbinds the actor (which stays
// registered until its presence times out, so it can resume).
func (ss *session) run() {
	var wg sync.WaitGroup
	wg.Go(ss.writer)
	wg.Go(ss.watchdog)
	defer func() {
		ss.close(DisconnectPeer, websocket.StatusNormalClosure, "")
		wg.Wait()
		ss.out.close()
		s := ss.srv
		s.mu.Lock()
		delete(s.sessions, ss)
		if e := s.actors[ss.bound]; e != nil && e.sess == ss {
			s.detachLocked(e)
		}
		s.mu.Unlock()
	}()
	for {
		typ, data, err := ss.ws.Read(context.Background())
		if err != nil {
			return
		}
		ss.reads.Add(1)
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

// watchdog closes a connection that does not register or present a
// credential within RegisterTimeout, and one that stops answering pings.
func (ss *session) watchdog() {
	lim := &ss.srv.cfg.Limits
	register := time.NewTimer(lim.RegisterTimeout)
	defer register.Stop()
	ping := time.NewTicker(lim.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ss.done:
			return
		case <-register.C:
			if !ss.authed.Load() {
				ss.close(DisconnectRegisterTimeout, websocket.StatusPolicyViolation, "register or present a credential sooner after connecting")
				return
			}
		case <-ping.C:
			reads := ss.reads.Load()
			ctx, cancel := context.WithTimeout(ss.ctx, lim.PingTimeout)
			err := ss.ws.Ping(ctx)
			cancel()
			// A pong queued behind the client's own envelopes, which the
			// reader is still working through, is late, not missing.
			if err != nil && ss.reads.Load() == reads {
				ss.close(DisconnectKeepalive, websocket.StatusPolicyViolation, "ping not answered")
				return
			}
		}
	}
}

// writer writes the outbox, each envelope within WriteTimeout.
func (ss *session) writer() {
	for {
		b, ok := ss.out.pop()
		if !ok {
			select {
			case <-ss.out.ready:
				continue
			case <-ss.done:
				return
			}
		}
		ctx, cancel := context.WithTimeout(ss.ctx, ss.srv.cfg.WriteTimeout)
		err := ss.ws.Write(ctx, websocket.MessageBinary, b)
		timedOut := errors.Is(ctx.Err(), context.DeadlineExceeded)
		cancel()
		ss.out.written(len(b))
		if err != nil {
			why := DisconnectPeer
			if timedOut {
				why = DisconnectWriteTimeout
			}
			ss.close(why, websocket.StatusPolicyViolation, "not reading")
			return
		}
	}
}

// close ends the connection, counting why; the reader then ends the
// session. A client that misbehaved is cut at once; the others get a
// close handshake.
func (ss *session) close(why DisconnectReason, code websocket.StatusCode, reason string) {
	ss.once.Do(func() {
		ss.srv.counters.disconnected[why].Add(1)
		close(ss.done)
		ss.cancel()
		if ss.ws == nil {
			return
		}
		now := false
		switch why {
		case DisconnectRegisterTimeout, DisconnectKeepalive, DisconnectWriteTimeout, DisconnectSendBudget, DisconnectAbuse:
			now = true
		}
		// Not inline: callers may hold Server.mu, and both ways of closing
		// wait (the close handshake boundedly, 5 s, for the reader, which
		// may be the caller; CloseNow for the library's goroutines).
		ss.srv.wg.Add(1)
		go func() {
			defer ss.srv.wg.Done()
			if now {
				_ = ss.ws.CloseNow()
			} else {
				_ = ss.ws.Close(code, reason)
			}
		}()
	})
}

// send queues one of the server's own envelopes (an answer, an event)
// without blocking. One that does not fit means the client has fallen so
// far behind that it would miss it: the connection is closed.
func (ss *session) send(env *protocol.SignalingEnvelope) bool {
	if ss.enqueue(env, false) {
		return true
	}
	select {
	case <-ss.done:
	default:
		ss.close(DisconnectSendBudget, websocket.StatusPolicyViolation, "not reading fast enough")
	}
	return false
}

// enqueue queues env without blocking; it reports false when it does not
// fit the outbox (the peer is not reading) or the session is closed.
func (ss *session) enqueue(env *protocol.SignalingEnvelope, besteffort bool) bool {
	if env.EnvelopeVersion == nil {
		env.EnvelopeVersion = proto.Uint32(protocol.EnvelopeVersion)
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
	if !ss.out.push(b, besteffort) {
		ss.srv.counters.Dropped.Add(1)
		return false
	}
	return true
}

func (ss *session) refuse(replyFor string, code uint32, msg string) {
	env := &protocol.SignalingEnvelope{
		EnvelopeId: proto.String(ss.srv.nextID()),
		Flow:       &protocol.SignalingEnvelope_EnvelopeError{EnvelopeError: errorResponse(code, msg)},
	}
	if replyFor != "" {
		env.ReplyFor = proto.String(replyFor)
	}
	if code == CodeRateLimited || code == CodeUnavailable {
		// Best effort: a client sending faster than it reads the refusals
		// of a limit loses some of them, it is not disconnected for it.
		ss.enqueue(env, true)
		return
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
		ss.close(DisconnectAbuse, websocket.StatusPolicyViolation, "too many refused envelopes")
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

// allow charges an envelope to the connection's bucket and to its remote
// address's; it returns the refusal reason when one is empty.
func (ss *session) allow(now time.Time) (RefusalReason, bool) {
	cfg := &ss.srv.cfg
	if !ss.tokens.take(now, cfg.RateLimit, cfg.RateBurst) {
		return RefusedConnRate, false
	}
	if ss.addr != nil && !ss.addr.allowEnvelope(now, &cfg.Limits) {
		return RefusedAddrRate, false
	}
	return 0, true
}

// handle processes one envelope; it reports false when the connection
// must end.
func (ss *session) handle(data []byte) bool {
	s := ss.srv
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
	// After decoding, so the refusal can name the envelope it answers.
	if why, ok := ss.allow(time.Now()); !ok {
		ss.rateLimited(why, id)
		return true
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
		if refusal.GetCode() == CodeRateLimited || refusal.GetCode() == CodeUnavailable {
			// Limits, not misbehaviour: see rateLimited.
			return true
		}
		return !ss.abusive()
	}
	if ss.violations > 0 {
		ss.violations--
	}
	return true
}

// rateLimited answers an envelope refused by a rate limit. It never
// counts towards closing the connection: a node answering many sessions
// that strangers started must be slowed, not disconnected, and the
// strangers' own connections and addresses have their own limits. A
// client that floods and does not read the answers is closed by the
// outbound budget instead.
func (ss *session) rateLimited(why RefusalReason, replyFor string) {
	s := ss.srv
	s.counters.RateLimited.Add(1)
	s.counters.refuse(why)
	ss.refuse(replyFor, CodeRateLimited, "rate limit exceeded ("+why.String()+"): slow down")
}
