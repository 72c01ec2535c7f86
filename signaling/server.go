package signaling

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/internal/origin"
	"github.com/actr-go/actr/protocol"
)

// HeaderRealmSecret carries the shared secret of a realm whose
// registration policy requires one.
const HeaderRealmSecret = "X-Actr-Realm-Secret"

// RegistrationPolicy decides who may register into a realm.
type RegistrationPolicy struct {
	// Open admits anyone (development, demos).
	Open bool
	// Secret, when not empty, admits peers presenting it in the
	// X-Actr-Realm-Secret handshake header.
	Secret string
}

// ServerConfig configures a Server. Issuer is required, and some realm
// must admit registrations: DefaultPolicy, or a policy in Realms (NewServer
// refuses a configuration that would admit nobody).
type ServerConfig struct {
	// Issuer signs the credentials of registered actors.
	Issuer *auth.Issuer
	// Verifier checks actors' credentials (default: one that knows the
	// Issuer's key).
	Verifier *auth.Verifier
	// Realms holds per-realm registration policies; realms not listed use
	// DefaultPolicy, whose zero value refuses registration (set
	// DefaultPolicy{Open: true} to admit anyone in any realm). A secret
	// belongs in Realms, under its realm: a DefaultPolicy with a Secret
	// would admit every unlisted realm with that one secret.
	Realms        map[uint32]RegistrationPolicy
	DefaultPolicy RegistrationPolicy
	// HeartbeatInterval is suggested to clients (default 10 s).
	HeartbeatInterval time.Duration
	// PresenceTimeout drops an actor not heard from for this long
	// (default 3 heartbeat intervals).
	PresenceTimeout time.Duration
	// CredentialTTL is the lifetime of issued credentials (default 1 h).
	CredentialTTL time.Duration
	// MaxEnvelopeSize bounds an envelope (default 64 KiB); bigger closes
	// the connection.
	MaxEnvelopeSize int
	// RateLimit and RateBurst bound envelopes per second per connection,
	// and again per actor across all its connections (default 200/s,
	// burst 400). Envelopes beyond a rate limit are answered with a 429
	// envelope_error and counted; they never close the connection, so an
	// actor answering sessions that others started is slowed, not
	// disconnected.
	RateLimit float64
	RateBurst int
	// MaxViolations closes a connection whose malformed or unauthorised
	// envelopes outnumber its accepted ones by this much (default 32).
	MaxViolations int
	// SendQueue bounds the envelopes queued to one connection (default
	// 256); Limits.SendBudget bounds their bytes. Beyond either, relays to
	// that connection are refused (503).
	SendQueue int
	// AllowBearer lets a connection that did not register speak for an
	// actor (resume, relay, renew, unregister) with a bearer credential,
	// one that names no holder key: actr's own nodes have only those.
	// Default false: only a holder-bound credential with a proof of
	// possession made for this server resumes, so a credential captured
	// by a gate or a peer is useless here. A bearer credential can be
	// replayed by anyone who sees it.
	AllowBearer bool
	// Name is the audience proofs presented to this server must name
	// (sent to clients in RegisterOk.proof_audience). Default:
	// auth.SignalingAudience of the Issuer's public key.
	Name string
	// ProofWindow is how far a proof's timestamp may be from the server's
	// clock (default auth.DefaultProofWindow, 30 s); MaxProofs bounds the
	// proofs remembered to refuse their replay (default
	// auth.DefaultMaxProofs, 65,536; when full of proofs in their window,
	// resumes are refused, counted in ProofCacheFull).
	ProofWindow time.Duration
	MaxProofs   int
	// RenewalTokenTTL is the lifetime of the renewal token of a
	// RegisterOk (default 24 h); renewing rotates it. MaxRenewalTokens
	// bounds those kept (default 100,000; beyond, the one expiring soonest
	// is dropped, counted in RenewalTokensEvicted). MaxRevoked bounds the
	// actors that unregistered whose credentials are refused until they
	// expire (default 65,536; beyond, the one expiring soonest is
	// forgotten, counted in RevokedEvicted).
	RenewalTokenTTL  time.Duration
	MaxRenewalTokens int
	MaxRevoked       int
	// AllowedOrigins admits browser pages from other origins to the
	// socket and to HTTP registration and renewal (origins.go): patterns
	// of host[:port], or scheme://host[:port], with * and ? wildcards.
	// Default none: a page is admitted only from the server's own origin;
	// any other is refused (403) and counted (RefusedOrigin). A request
	// without an Origin header (not a browser) is never refused for it.
	AllowedOrigins []string
	// MaxJoinTokenTTL bounds how far ahead a join token's expiry may be
	// (default DefaultMaxJoinTokenTTL); see jointoken.go.
	MaxJoinTokenTTL time.Duration
	// Limits on hostile or broken clients; see limits.go for each default.
	Limits
	// TURN, when its Secret is set, makes every RegisterOk's
	// turn_credential one the TURN server sharing that secret accepts,
	// and names the servers (RegisterOk.ice_urls); see turn.go.
	TURN TURNConfig
	// Logger (default: discard). Credentials and secrets are never logged.
	Logger *slog.Logger
	// Cluster, when set, joins this server to others as one realm
	// (cluster.go; package natscluster implements it over NATS). The
	// server owns it from NewServer on: Close closes it. Give every
	// server of a cluster the same Name, so that a proof of possession
	// made for one is good on the others, and distinct Issuer key ids.
	// Nil: the server is alone, all in memory.
	Cluster Cluster
}

func (c *ServerConfig) defaults() error {
	if c.Issuer == nil {
		return errors.New("signaling: ServerConfig.Issuer is required")
	}
	if !c.admitsSomeone() {
		return errors.New("signaling: this ServerConfig admits no registration in any realm: set DefaultPolicy (RegistrationPolicy{Open: true} admits anyone), or give Realms a policy that is Open or has a Secret")
	}
	if err := c.TURN.check(); err != nil {
		return err
	}
	if c.Verifier == nil {
		c.Verifier = auth.NewVerifier(nil)
		if err := c.Verifier.AddKey(c.Issuer.KeyID(), c.Issuer.PublicKey()); err != nil {
			return err
		}
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 10 * time.Second
	}
	if c.PresenceTimeout <= 0 {
		c.PresenceTimeout = 3 * c.HeartbeatInterval
	}
	if c.CredentialTTL <= 0 {
		c.CredentialTTL = time.Hour
	}
	if c.MaxEnvelopeSize <= 0 {
		c.MaxEnvelopeSize = 64 << 10
	}
	if c.RateLimit <= 0 {
		c.RateLimit = 200
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 400
	}
	if c.MaxViolations <= 0 {
		c.MaxViolations = 32
	}
	if c.SendQueue <= 0 {
		c.SendQueue = 256
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Name == "" {
		c.Name = auth.SignalingAudience(c.Issuer.PublicKey())
	}
	if c.RenewalTokenTTL <= 0 {
		c.RenewalTokenTTL = DefaultRenewalTokenTTL
	}
	if c.MaxRenewalTokens <= 0 {
		c.MaxRenewalTokens = DefaultMaxRenewalTokens
	}
	if c.MaxRevoked <= 0 {
		c.MaxRevoked = DefaultMaxRevoked
	}
	if err := origin.Validate(c.AllowedOrigins); err != nil {
		return fmt.Errorf("signaling: ServerConfig.AllowedOrigins: %w", err)
	}
	if c.MaxJoinTokenTTL <= 0 {
		c.MaxJoinTokenTTL = DefaultMaxJoinTokenTTL
	}
	c.Limits.defaults()
	return nil
}

// admitsSomeone reports whether any realm's policy can admit a
// registration.
func (c *ServerConfig) admitsSomeone() bool {
	if c.DefaultPolicy.Open || c.DefaultPolicy.Secret != "" {
		return true
	}
	for _, p := range c.Realms {
		if p.Open || p.Secret != "" {
			return true
		}
	}
	return false
}

// ServerCounters count what a server did.
type ServerCounters struct {
	Connections, Registrations, Resumes, Unregistrations, Expirations atomic.Uint64
	Relayed, RelayRefused, RoleAssignments                            atomic.Uint64
	Malformed, Unauthorized, RateLimited, Dropped, AbuseClosed        atomic.Uint64

	// Credentials (all of these refusals are in Unauthorized too, but for
	// RenewalRefused). ProofRefused: a holder-bound credential without a
	// valid proof made for this server (missing, forged, stale, for
	// another party); ProofReplayed: a proof used before; ProofCacheFull:
	// refused because MaxProofs proofs in their window are remembered;
	// BearerRefused: a bearer credential without AllowBearer;
	// RevokedRefused: a credential or renewal of an actor that
	// unregistered; RenewalRefused: a missing, wrong or expired renewal
	// token. Renewals counts credentials renewed.
	ProofRefused, ProofReplayed, ProofCacheFull, BearerRefused atomic.Uint64
	RevokedRefused, RenewalRefused, Renewals                   atomic.Uint64
	RenewalTokensEvicted, RevokedEvicted                       atomic.Uint64

	// The cluster (ServerConfig.Cluster). ClusterRefused: registrations
	// refused because the backplane was unreachable; ClusterRelaysSent,
	// ClusterRelaysReceived: relays forwarded to, and delivered from,
	// other servers; ClusterRelaysRefused: relays to another server that
	// got no answer (the backplane failed or timed out); ClusterDedupDrops:
	// a relay from another server delivered before, not delivered again.
	// ClusterFailovers: actors that resumed here while the directory had
	// them on another server (it died, or they left it); ClusterRenewals:
	// credentials renewed for such actors, whose renewal token another
	// server issued.
	ClusterRefused, ClusterRelaysSent, ClusterRelaysReceived atomic.Uint64
	ClusterRelaysRefused, ClusterDedupDrops                  atomic.Uint64
	ClusterFailovers, ClusterRenewals                        atomic.Uint64

	refused      [numRefusalReasons]atomic.Uint64
	disconnected [numDisconnectReasons]atomic.Uint64
	open, queued atomic.Int64
}

// Server is the signaling service: an http.Handler accepting WebSocket
// connections from actors.
type Server struct {
	cfg      ServerConfig
	log      *slog.Logger
	counters ServerCounters
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	ids      atomic.Uint64
	// instance tells this run of the server from every other in relay
	// ids it makes for the cluster: servers of a cluster share cfg.Name
	// (the proofs' audience), and the receiving side deduplicates by
	// source and id, so two servers' counters must never collide.
	instance string

	addrs addrTable

	mu       sync.Mutex
	closed   bool
	actors   map[protocol.ActorID]*actorEntry
	index    map[uint32]realmIndex
	specs    specIndex
	subs     map[subKey]map[protocol.ActorID]struct{}
	sessions map[*session]struct{}
	serial   uint64
	renewals map[protocol.ActorID]*renewal
	revoked  map[protocol.ActorID]time.Time // until when

	proofs *auth.ProofChecker

	cluster Cluster     // nil: alone
	dedup   *relayDedup // relays from other servers already delivered
}

type subKey struct {
	realm uint32
	typ   ActorType
}

// actorEntry is a registered actor. Guarded by Server.mu.
type actorEntry struct {
	id       protocol.ActorID
	sess     *session // nil while disconnected
	lastSeen time.Time
	avail    protocol.ServiceAvailabilityState
	backlog  float32
	subs     map[ActorType]struct{}
	rate     bucket // envelopes, shared by the actor's connections
	// wsAddress is the WebSocket gate URL the actor registered (or "").
	wsAddress string
	// fresh: registered over HTTP, no connection bound yet (its first is
	// not a resume).
	fresh   bool
	spec    *protocol.ServiceSpec // registered with it, or nil
	credExp time.Time             // the latest expiry of a credential issued or presented
	// holder is the key its credential is bound to, from the last one
	// presented with a proof (nil: bearer, or registered here).
	holder ed25519.PublicKey
}

// NewServer returns a server; Close it to stop its goroutines.
func NewServer(cfg ServerConfig) (*Server, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger,
		actors:   map[protocol.ActorID]*actorEntry{},
		index:    map[uint32]realmIndex{},
		specs:    specIndex{},
		addrs:    addrTable{m: map[string]*addrState{}},
		subs:     map[subKey]map[protocol.ActorID]struct{}{},
		sessions: map[*session]struct{}{},
		renewals: map[protocol.ActorID]*renewal{},
		revoked:  map[protocol.ActorID]time.Time{},
		proofs:   auth.NewProofChecker(cfg.Name, cfg.ProofWindow, cfg.MaxProofs),
		// Serial numbers start from the clock so that a restarted server
		// does not hand out the serials of actors that may resume.
		serial: uint64(time.Now().UnixMicro()),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.instance = randomInstance()
	if err := s.joinCluster(); err != nil {
		s.cancel()
		return nil, err
	}
	s.wg.Add(1)
	go s.reaper()
	return s, nil
}

// ProofAudience is the name proofs of possession presented to the server
// must be made for (ServerConfig.Name).
func (s *Server) ProofAudience() string { return s.cfg.Name }

// Counters returns the server's counters.
func (s *Server) Counters() *ServerCounters { return &s.counters }

// Online reports whether id is registered and connected.
func (s *Server) Online(id protocol.ActorID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.actors[id]
	if e != nil && e.sess != nil {
		return true
	}
	if s.cluster != nil {
		_, ok := s.cluster.Lookup(id)
		return ok
	}
	return false
}

// RealmCount is how many actors a realm has registered, and how many of
// them are connected now.
type RealmCount struct {
	Registered, Online int
}

// RealmCounts returns the registered and connected actors of every realm
// that has any, for status pages. It reads the registry under the
// server's lock, once per call.
func (s *Server) RealmCounts() map[uint32]RealmCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[uint32]RealmCount{}
	for id, e := range s.actors {
		c := out[id.Realm]
		c.Registered++
		if e.sess != nil {
			c.Online++
		}
		out[id.Realm] = c
	}
	return out
}

// Close disconnects every actor and stops the server's goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	sessions := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	s.cancel()
	for _, ss := range sessions {
		ss.close(DisconnectServerClosing, websocket.StatusGoingAway, "server closing")
	}
	s.wg.Wait()
	if s.cluster != nil {
		return s.cluster.Close()
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "signaling server closing", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	if isKeysRequest(r) {
		s.serveKeys(w)
		return
	}
	var addr *addrState
	if tc, ok := r.Context().Value(trackedKey{}).(*trackedConn); ok {
		addr = tc.addr // counted at accept by Listen
	} else {
		// Embedded in someone else's http.Server: count here, before the
		// upgrade or the registration.
		a, why, ok := s.admit(r.RemoteAddr)
		if !ok {
			if why == RefusedAddrConnLimit {
				http.Error(w, "too many connections from your address", http.StatusTooManyRequests)
			} else {
				http.Error(w, "signaling server at its connection limit; retry later", http.StatusServiceUnavailable)
			}
			return
		}
		defer s.release(a)
		addr = a
	}
	if !s.originAllowed(w, r) {
		return
	}
	switch {
	case isRegisterPath(r.URL.Path):
		s.serveRegister(w, r, addr)
		return
	case isRenewPath(r.URL.Path):
		s.serveRenew(w, r, addr)
		return
	case isSocketPath(r.URL.Path):
		s.serveQuerySocket(w, r, addr)
		return
	}
	// Any other path: our older clients' socket, which registers in-band
	// (peer_to_server.register_request) or resumes with its first
	// envelope's credential.
	if ss := s.upgrade(w, r, addr, admissionOf(r.Header)); ss != nil {
		ss.run()
	}
}

// upgrade accepts the WebSocket of r and makes its session, nil when the
// upgrade fails or the server is closing.
func (s *Server) upgrade(w http.ResponseWriter, r *http.Request, addr *addrState, secret admission) *session {
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.cfg.AllowedOrigins})
	if err != nil {
		return nil
	}
	ws.SetReadLimit(int64(s.cfg.MaxEnvelopeSize))
	ss := s.newSession(secret, ws, addr)
	if ss == nil {
		_ = ws.Close(websocket.StatusGoingAway, "server closing")
		return nil
	}
	s.counters.Connections.Add(1)
	return ss
}

func (s *Server) nextID() string { return "s" + strconv.FormatUint(s.ids.Add(1), 36) }

// reaper drops actors not heard from within the presence timeout.
func (s *Server) reaper() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.PresenceTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			s.expire(now)
			s.addrs.sweep(now, &s.cfg.Limits)
			s.proofs.Sweep(now)
			s.mu.Lock()
			s.sweepCredentialsLocked(now)
			s.mu.Unlock()
		}
	}
}

// expire drops the actors last seen before now - PresenceTimeout.
func (s *Server) expire(now time.Time) {
	s.mu.Lock()
	var gone []*actorEntry
	for _, e := range s.actors {
		if now.Sub(e.lastSeen) > s.cfg.PresenceTimeout {
			gone = append(gone, e)
		}
	}
	for _, e := range gone {
		s.counters.Expirations.Add(1) // before the down event can reach anyone
		s.removeLocked(e)
	}
	s.mu.Unlock()
	for _, e := range gone {
		s.log.Info("actor dropped: no heartbeat", "actor", e.id.String(), "timeout", s.cfg.PresenceTimeout)
	}
}

// removeLocked unregisters e and tells subscribers it is down.
func (s *Server) removeLocked(e *actorEntry) {
	for t := range e.subs {
		s.unsubscribeLocked(e.id, t)
	}
	if e.sess != nil && e.sess.bound == e.id {
		e.sess.bound = protocol.ActorID{}
	}
	s.unindexLocked(e)
	s.presenceLocked(e.id, false)
}

func (s *Server) unsubscribeLocked(id protocol.ActorID, t ActorType) {
	k := subKey{id.Realm, t}
	delete(s.subs[k], id)
	if len(s.subs[k]) == 0 {
		delete(s.subs, k)
	}
}

// presenceLocked tells every subscriber to id's type in its realm (to that
// version, or to any version) that id came up (an actr_up_event) or went
// down (our actr_down_event).
func (s *Server) presenceLocked(id protocol.ActorID, up bool) {
	t := TypeOf(id)
	keys := []subKey{{id.Realm, t}}
	if t.Version != "" {
		keys = append(keys, subKey{id.Realm, t.anyVersion()})
	}
	for _, k := range keys {
		for sub := range s.subs[k] {
			e := s.actors[sub]
			if e == nil || e.sess == nil || sub == id {
				continue
			}
			msg := &protocol.SignalingToActr{Target: sub.Proto()}
			if up {
				msg.Payload = &protocol.SignalingToActr_ActrUpEvent{ActrUpEvent: &protocol.ActrUpEvent{ActorId: id.Proto()}}
			} else {
				msg.Payload = &protocol.SignalingToActr_ActrDownEvent{ActrDownEvent: &protocol.ActrDownEvent{ActorId: id.Proto()}}
			}
			e.sess.send(&protocol.SignalingEnvelope{
				EnvelopeId: proto.String(s.nextID()),
				Flow:       &protocol.SignalingEnvelope_ServerToActr{ServerToActr: msg},
			})
		}
	}
}

func (s *Server) policy(realm uint32) RegistrationPolicy {
	if p, ok := s.cfg.Realms[realm]; ok {
		return p
	}
	return s.cfg.DefaultPolicy
}

func errf(code uint32, format string, args ...any) *protocol.ErrorResponse {
	return errorResponse(code, fmt.Sprintf(format, args...))
}
