package websocket

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/internal/origin"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Acceptor takes the connections a Gate accepts. *transport.OutprocManager
// implements it.
type Acceptor interface {
	LocalID() protocol.ActorID
	Inbound() transport.Inbound
	Adopt(ctx context.Context, dest transport.Dest, w transport.Wire) error
	Dialling(dest transport.Dest, k transport.WireKind) bool
}

// RealmPolicy decides whether peer may connect to local; a non-nil error
// refuses it with 403 and the error's text.
type RealmPolicy func(local, peer protocol.ActorID) error

// SameRealm admits only peers of the local actor's realm. It is the
// default policy.
func SameRealm(local, peer protocol.ActorID) error {
	if local.Realm != peer.Realm {
		return fmt.Errorf("realm %d does not admit actors of realm %d", local.Realm, peer.Realm)
	}
	return nil
}

// GateConfig configures a Gate.
type GateConfig struct {
	// Acceptor receives the accepted connections; required.
	Acceptor Acceptor
	// Verifier checks callers' credentials; required unless
	// AllowUnauthenticated is set.
	Verifier *auth.Verifier
	// AllowUnauthenticated admits callers without checking a credential,
	// trusting their X-Actr-Source-ID. For tests and closed networks only.
	AllowUnauthenticated bool
	// AllowBearer admits callers presenting a bearer credential (one that
	// names no holder key: actr's own nodes have only those). A bearer
	// credential can be replayed by any gate or peer it was shown to, so
	// the default, false, refuses it (401, RejectedBearer). A holder-bound
	// credential is admitted only with a valid X-Actr-Proof made for this
	// gate, whatever AllowBearer says.
	AllowBearer bool
	// ProofWindow is how far a proof's timestamp may be from the gate's
	// clock (default auth.DefaultProofWindow, 30 s). MaxProofs bounds the
	// proofs the gate remembers to refuse their replay (default
	// auth.DefaultMaxProofs, 65,536); when it is full of proofs still in
	// their window, callers are refused (401, RejectedProofCacheFull).
	ProofWindow time.Duration
	MaxProofs   int
	// RealmPolicy decides who may connect (default SameRealm).
	RealmPolicy RealmPolicy
	// MaxConns bounds the connections open at once, handshakes included;
	// further callers get 503 (default 1024).
	MaxConns int
	// MaxConnsPerIP bounds the connections open at once from one remote
	// IP address (the TCP peer's; forwarding headers are not trusted), so
	// that one host cannot take every slot of MaxConns; further callers
	// from it get 429 (default 64; negative: no per-IP limit).
	MaxConnsPerIP int
	// With Listen, a connection takes its slots of MaxConns and
	// MaxConnsPerIP when it is accepted, before it sends anything, and
	// gives them back when it closes: a caller that opens TCP connections
	// and sends no request holds slots, for HandshakeTimeout at most. A
	// connection over a limit is answered 503 or 429 after its request
	// is read (bounded: at most maxRefusing at once, 1 s each; beyond,
	// it is closed unanswered). Mounted in another server, the gate
	// counts connections from their request.

	// HandshakeTimeout bounds reading a caller's handshake when the gate
	// listens through Listen (default 10 s).
	HandshakeTimeout time.Duration
	// MaxBufferedBytes bounds the bytes all the gate's connections hold
	// together in frames being read and not yet delivered; a connection
	// whose frame would take more is closed (ErrBufferBudget, counted in
	// RefusedBudget). A connection reads one frame at a time and its
	// buffer grows only as bytes arrive, so each holds at most
	// Options.MaxMessageSize: that is the per-connection budget. What is
	// delivered is the inbound queues' (transport.InboundLimits). Default
	// 256 MiB; negative: no bound (still counted in BufferedBytes).
	MaxBufferedBytes int64
	// Path is where the gate is served, e.g. "/actr/": a caller's URL
	// path of that shape (Path and one segment) must name the gate's
	// ActorID, or it is refused with 404. Any other path is accepted (actr
	// dials any path), but one whose last segment parses as an ActorID
	// must name the gate's; the credential, its proof and
	// X-Actr-Target-ID, if present, say whom the caller wants.
	Path string
	// AllowedOrigins admits browser pages of other origins: patterns of
	// host[:port], or scheme://host[:port], with * and ? wildcards
	// (coder/websocket's AcceptOptions.OriginPatterns). Default none: a
	// page of another origin than the gate's is refused with 403 and
	// counted (RejectedOrigin). A caller without an Origin header (not a
	// browser) is never refused for it.
	AllowedOrigins []string
	// Options tune every accepted connection.
	Options Options
}

// Gate is the server side of the WebSocket wire: an http.Handler that
// authenticates callers and hands their connections to its Acceptor.
type Gate struct {
	cfg    GateConfig
	proofs *auth.ProofChecker
	opts   Options
	local  protocol.ActorID
	slots  chan struct{}
	budget *byteBudget

	handlers sync.WaitGroup // ServeHTTP calls in progress

	ipMu  sync.Mutex
	perIP map[netip.Addr]int // open connections (handshakes included) by remote IP
}

// remoteIP is the TCP peer's address (the zero Addr if unparsable, one
// shared bucket).
func remoteIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// takeIP counts one more connection from ip, unless it is at its limit.
func (g *Gate) takeIP(ip netip.Addr) bool {
	if g.cfg.MaxConnsPerIP < 0 {
		return true
	}
	g.ipMu.Lock()
	defer g.ipMu.Unlock()
	if g.perIP[ip] >= g.cfg.MaxConnsPerIP {
		return false
	}
	g.perIP[ip]++
	return true
}

func (g *Gate) releaseIP(ip netip.Addr) {
	if g.cfg.MaxConnsPerIP < 0 {
		return
	}
	g.ipMu.Lock()
	defer g.ipMu.Unlock()
	if g.perIP[ip]--; g.perIP[ip] <= 0 {
		delete(g.perIP, ip)
	}
}

// NewGate returns a gate for cfg.
func NewGate(cfg GateConfig) (*Gate, error) {
	if cfg.Acceptor == nil {
		return nil, errors.New("websocket: GateConfig.Acceptor is required")
	}
	if cfg.Verifier == nil && !cfg.AllowUnauthenticated {
		return nil, errors.New("websocket: GateConfig.Verifier is required (or set AllowUnauthenticated for tests)")
	}
	if cfg.RealmPolicy == nil {
		cfg.RealmPolicy = SameRealm
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 1024
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 10 * time.Second
	}
	if cfg.MaxConnsPerIP == 0 {
		cfg.MaxConnsPerIP = 64
	}
	if cfg.MaxBufferedBytes == 0 {
		cfg.MaxBufferedBytes = defaultMaxBufferedBytes
	}
	if err := origin.Validate(cfg.AllowedOrigins); err != nil {
		return nil, fmt.Errorf("websocket: GateConfig.AllowedOrigins: %w", err)
	}
	if cfg.Path != "" && !strings.HasSuffix(cfg.Path, "/") {
		cfg.Path += "/"
	}
	g := &Gate{cfg: cfg, opts: cfg.Options.withDefaults(), local: cfg.Acceptor.LocalID(), slots: make(chan struct{}, cfg.MaxConns),
		perIP: make(map[netip.Addr]int)}
	g.budget = &byteBudget{max: cfg.MaxBufferedBytes, gauge: &g.opts.Counters.BufferedBytes}
	g.proofs = auth.NewProofChecker(auth.GateAudience(g.local), cfg.ProofWindow, cfg.MaxProofs)
	return g, nil
}

const defaultMaxBufferedBytes = 256 << 20

// take takes a connection's slots: one of MaxConns and one of its
// address's. It returns 0, or the status refusing the connection (its
// refusal is counted).
func (g *Gate) take(ip netip.Addr) int {
	c := g.opts.Counters
	select {
	case g.slots <- struct{}{}:
	default:
		c.RejectedBusy.Add(1)
		return http.StatusServiceUnavailable
	}
	if !g.takeIP(ip) {
		<-g.slots
		c.RejectedPerIP.Add(1)
		return http.StatusTooManyRequests
	}
	c.OpenConns.Add(1)
	return 0
}

// release gives back what take took.
func (g *Gate) release(ip netip.Addr) {
	g.opts.Counters.OpenConns.Add(-1)
	g.releaseIP(ip)
	<-g.slots
}

// refusal is the answer to a connection over a limit.
func refusal(status int) string {
	if status == http.StatusTooManyRequests {
		return "too many connections from your address; retry later"
	}
	return "the gate is at its connection limit; retry later"
}

// Counters returns the counters of the gate and its connections.
func (g *Gate) Counters() *Counters { return g.opts.Counters }

// ServeHTTP implements http.Handler. Nothing the caller sends is read as a
// frame before its credential, realm and target have been checked.
func (g *Gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	g.handlers.Add(1)
	defer g.handlers.Done()
	c := g.opts.Counters
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		c.RejectedBad.Add(1)
		w.Header().Set("Upgrade", "websocket")
		http.Error(w, "this is an actr WebSocket gate: connect with a WebSocket client", http.StatusUpgradeRequired)
		return
	}
	if err := origin.Check(r, g.cfg.AllowedOrigins); err != nil {
		c.RejectedOrigin.Add(1)
		g.refuse(w, r, http.StatusForbidden, "origin refused", err)
		return
	}
	release := func() {} // a connection from Listen gives its slots back when it closes
	gc, _ := r.Context().Value(gateConnKey{}).(*gateConn)
	switch {
	case gc != nil && gc.refused != 0: // over a limit at accept, counted then
		w.Header().Set("Connection", "close")
		g.refuse(w, r, gc.refused, refusal(gc.refused), nil)
		return
	case gc == nil: // mounted in another server: count from the request
		ip := remoteIP(r)
		if status := g.take(ip); status != 0 {
			g.refuse(w, r, status, refusal(status), nil)
			return
		}
		release = func() { g.release(ip) }
	}
	peer, status, msg, err := g.admit(r)
	if status != 0 {
		release()
		switch status {
		case http.StatusUnauthorized:
			c.RejectedAuth.Add(1)
			switch {
			case errors.Is(err, auth.ErrBearer):
				c.RejectedBearer.Add(1)
			case errors.Is(err, auth.ErrReplayedProof):
				c.RejectedReplay.Add(1)
			case errors.Is(err, auth.ErrReplayCacheFull):
				c.RejectedProofCacheFull.Add(1)
			case errors.Is(err, auth.ErrNoProof), errors.Is(err, auth.ErrBadProof), errors.Is(err, auth.ErrWrongAudience), errors.Is(err, auth.ErrStaleProof):
				c.RejectedProof.Add(1)
			}
		case http.StatusForbidden:
			c.RejectedRealm.Add(1)
		case http.StatusNotFound:
			if errors.Is(err, errWrongPath) {
				c.RejectedPath.Add(1)
			} else {
				c.RejectedTarget.Add(1)
			}
		case http.StatusConflict:
			c.RejectedDuplicate.Add(1)
		default:
			c.RejectedBad.Add(1)
		}
		g.refuse(w, r, status, msg, err)
		return
	}
	w.Header().Set(HeaderSourceID, g.local.String())
	hj := &hijackCapture{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{OriginPatterns: g.cfg.AllowedOrigins})
	if err != nil {
		release()
		c.RejectedBad.Add(1)
		g.opts.Logger.Info("gate: upgrade failed", "peer", peer.String(), "remote_addr", r.RemoteAddr, "err", err)
		return
	}
	conn := newConn(g.local, peer, g.cfg.Acceptor.Inbound(), g.opts)
	conn.budget = g.budget
	var src io.Reader
	if hj.brw != nil {
		src = hj.brw.Reader // the library left what it had buffered there
	}
	conn.setRaw(hj.conn, src, false)
	if gc != nil {
		conn.raw = gc
	}
	conn.onDone = release
	conn.hold = make(chan struct{})
	defer close(conn.hold)
	conn.start(ws)
	ctx, cancel := context.WithTimeout(context.Background(), g.cfg.HandshakeTimeout)
	defer cancel()
	if err := g.cfg.Acceptor.Adopt(ctx, transport.Actor(peer), conn); err != nil {
		// Adopt closed the connection.
		g.opts.Logger.Info("gate: the manager refused the connection", "peer", peer.String(), "err", err)
		return
	}
	c.Accepted.Add(1)
	g.opts.Logger.Debug("gate: accepted", "peer", peer.String(), "remote_addr", r.RemoteAddr)
}

// admit checks a handshake; a non-zero status refuses it.
func (g *Gate) admit(r *http.Request) (peer protocol.ActorID, status int, msg string, err error) {
	src := handshakeValue(r, HeaderSourceID, QuerySourceID)
	if src == "" {
		return peer, http.StatusBadRequest, "missing " + HeaderSourceID + " header (or " + QuerySourceID + " query parameter)", nil
	}
	peer, err = ParseActorHeader(src)
	if err != nil {
		return peer, http.StatusBadRequest, "bad " + HeaderSourceID + " header", err
	}
	if tgt := handshakeValue(r, HeaderTargetID, QueryTargetID); tgt != "" {
		if id, err := ParseActorHeader(tgt); err != nil || id != g.local {
			return peer, http.StatusNotFound, "this gate serves " + g.local.String() + ", not " + truncate(tgt, 200), nil
		}
	}
	if err := g.checkPath(r.URL.Path); err != nil {
		return peer, http.StatusNotFound, "this gate serves " + g.local.String(), err
	}
	if g.cfg.Verifier != nil {
		h := handshakeValue(r, HeaderCredential, QueryCredential)
		if h == "" {
			return peer, http.StatusUnauthorized, "missing " + HeaderCredential + " header (or " + QueryCredential + " query parameter): present the credential your signaling server issued", nil
		}
		cred, err := auth.DecodeHeader(h)
		if err != nil {
			return peer, http.StatusUnauthorized, "unreadable credential", err
		}
		now := time.Now()
		claims, err := g.cfg.Verifier.VerifyForAt(cred, peer, now)
		if err != nil {
			return peer, http.StatusUnauthorized, "credential refused", err
		}
		switch {
		case claims.Bound():
			var proof *protocol.ProofOfPossession
			if h := handshakeValue(r, HeaderProof, QueryProof); h != "" {
				if proof, err = auth.DecodeProofHeader(h); err != nil {
					return peer, http.StatusUnauthorized, "unreadable proof of possession", err
				}
			}
			if err := g.proofs.Check(proof, cred, claims, now); err != nil {
				return peer, http.StatusUnauthorized, "proof of possession refused", err
			}
		case !g.cfg.AllowBearer:
			return peer, http.StatusUnauthorized, "bearer credential refused", fmt.Errorf("%w: this gate admits only holder-bound credentials with an %s header (an operator can allow bearer credentials: actr node --allow-bearer)", auth.ErrBearer, HeaderProof)
		}
	}
	if err := g.cfg.RealmPolicy(g.local, peer); err != nil {
		return peer, http.StatusForbidden, "realm policy", err
	}
	if g.local.Compare(peer) < 0 && g.cfg.Acceptor.Dialling(transport.Actor(peer), transport.WireWebSocket) {
		return peer, http.StatusConflict, g.local.String() + " is dialling you: its connection wins (the smaller ActorID's dial survives)", nil
	}
	return peer, 0, "", nil
}

// errWrongPath: the URL path names another actor than the gate's.
var errWrongPath = errors.New("the URL path names another actor: dial the URL of the actor you want to reach")

// checkPath checks that a caller's URL path names the gate's actor (see
// GateConfig.Path).
func (g *Gate) checkPath(path string) error {
	if g.cfg.Path != "" {
		if seg, ok := strings.CutPrefix(path, g.cfg.Path); ok && seg != "" && !strings.Contains(seg, "/") && seg != g.local.String() {
			return fmt.Errorf("%w: %q is not %s%s", errWrongPath, truncate(path, 200), g.cfg.Path, g.local)
		}
	}
	last := path[strings.LastIndexByte(path, '/')+1:]
	if id, err := protocol.ParseActorID(last); err == nil && id != g.local {
		return fmt.Errorf("%w: %q names %s", errWrongPath, truncate(path, 200), id)
	}
	return nil
}

func (g *Gate) refuse(w http.ResponseWriter, r *http.Request, status int, msg string, err error) {
	text := msg
	if err != nil {
		text = msg + ": " + err.Error()
	}
	g.opts.Logger.Info("gate: refused a connection", "status", status, "remote_addr", r.RemoteAddr,
		"source", truncate(r.Header.Get(HeaderSourceID), 200), "reason", text)
	http.Error(w, text, status)
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// hijackCapture keeps the connection the library hijacks, where data
// frames are then written (framewriter.go).
type hijackCapture struct {
	http.ResponseWriter
	conn net.Conn
	brw  *bufio.ReadWriter
}

func (h *hijackCapture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("websocket: the http.ResponseWriter cannot be hijacked")
	}
	nc, brw, err := hj.Hijack()
	h.conn, h.brw = nc, brw
	return nc, brw, err
}
