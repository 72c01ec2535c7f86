package websocket

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/actr-go/actr/auth"
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
	// HandshakeTimeout bounds reading a caller's handshake when the gate
	// listens through Listen (default 10 s).
	HandshakeTimeout time.Duration
	// Options tune every accepted connection.
	Options Options
}

// Gate is the server side of the WebSocket wire: an http.Handler that
// authenticates callers and hands their connections to its Acceptor.
type Gate struct {
	cfg   GateConfig
	opts  Options
	local protocol.ActorID
	slots chan struct{}

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
	return &Gate{cfg: cfg, opts: cfg.Options.withDefaults(), local: cfg.Acceptor.LocalID(), slots: make(chan struct{}, cfg.MaxConns),
		perIP: make(map[netip.Addr]int)}, nil
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
	select {
	case g.slots <- struct{}{}:
	default:
		c.RejectedBusy.Add(1)
		g.refuse(w, r, http.StatusServiceUnavailable, "the gate is at its connection limit; retry later", nil)
		return
	}
	ip := remoteIP(r)
	if !g.takeIP(ip) {
		<-g.slots
		c.RejectedPerIP.Add(1)
		g.refuse(w, r, http.StatusTooManyRequests, "too many connections from your address; retry later", nil)
		return
	}
	release := func() {
		g.releaseIP(ip)
		<-g.slots
	}
	peer, status, msg, err := g.admit(r)
	if status != 0 {
		release()
		switch status {
		case http.StatusUnauthorized:
			c.RejectedAuth.Add(1)
		case http.StatusForbidden:
			c.RejectedRealm.Add(1)
		case http.StatusNotFound:
			c.RejectedTarget.Add(1)
		case http.StatusConflict:
			c.RejectedDuplicate.Add(1)
		default:
			c.RejectedBad.Add(1)
		}
		g.refuse(w, r, status, msg, err)
		return
	}
	w.Header().Set(HeaderSourceID, g.local.String())
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		release()
		c.RejectedBad.Add(1)
		g.opts.Logger.Info("gate: upgrade failed", "peer", peer.String(), "remote_addr", r.RemoteAddr, "err", err)
		return
	}
	conn := newConn(g.local, peer, g.cfg.Acceptor.Inbound(), g.opts)
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
	src := r.Header.Get(HeaderSourceID)
	if src == "" {
		return peer, http.StatusBadRequest, "missing " + HeaderSourceID + " header", nil
	}
	peer, err = protocol.ParseActorID(src)
	if err != nil {
		return peer, http.StatusBadRequest, "bad " + HeaderSourceID + " header", err
	}
	if tgt := r.Header.Get(HeaderTargetID); tgt != "" && tgt != g.local.String() {
		return peer, http.StatusNotFound, "this gate serves " + g.local.String() + ", not " + truncate(tgt, 200), nil
	}
	if g.cfg.Verifier != nil {
		h := r.Header.Get(HeaderCredential)
		if h == "" {
			return peer, http.StatusUnauthorized, "missing " + HeaderCredential + " header: present the credential your signaling server issued", nil
		}
		cred, err := auth.DecodeHeader(h)
		if err != nil {
			return peer, http.StatusUnauthorized, "unreadable credential", err
		}
		if _, err := g.cfg.Verifier.VerifyFor(cred, peer); err != nil {
			return peer, http.StatusUnauthorized, "credential refused", err
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
