package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// GatePath is the path prefix of a node's gate; a peer's gate URL is
// the gate's base URL + GatePath + its ActorID.
const GatePath = "/actr/"

// Node is a running actr node. Its methods are safe for concurrent use.
type Node struct {
	cfg    Config
	sig    *signaling.Client
	co     *webrtc.Coordinator // nil when WebRTC is disabled
	dialer *websocket.Dialer   // nil when no peer gate is configured
	mgr    *transport.OutprocManager
	gate   *websocket.Gate
	server *websocket.Server
	stopHC func()
	// stopKeys stops the refresh of the gate's signing keys.
	stopKeys func()
	client   *http.Client // the node's TLS clients: signaling, keys, gates

	closeOnce sync.Once
	closeErr  error
}

// Start registers with the signaling server and starts the node. On
// error everything started so far is stopped.
func Start(ctx context.Context, cfg Config) (_ *Node, err error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	n := &Node{cfg: cfg, stopHC: func() {}, stopKeys: func() {}}
	defer func() {
		if err != nil {
			n.shutdown(context.Background(), false)
		}
	}()

	// The gate's port is bound before the node registers: a port that is
	// taken fails Start before the node has announced itself to anyone.
	var reserved net.Listener
	if cfg.WSListen != "" {
		if reserved, err = net.Listen("tcp", cfg.WSListen); err != nil {
			return nil, fmt.Errorf("node: serving the WebSocket gate on %s: %w", cfg.WSListen, err)
		}
		defer func() {
			if reserved != nil {
				_ = reserved.Close()
			}
		}()
	}

	n.client = httpClient(cfg.ClientTLS)
	// The node's own key for its lifetime: its credentials are bound to it
	// and it proves possession of it to every gate it dials and to the
	// signaling server when it resumes, so what it presents is useless to
	// whoever sees it.
	_, holder, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("node: generating the holder key: %w", err)
	}
	n.sig, err = signaling.Dial(ctx, signaling.ClientConfig{URL: cfg.SignalingURL, URLs: cfg.SignalingURLs, Type: cfg.Type, Realm: cfg.Realm,
		RealmSecret: cfg.RealmSecret, AnswerOnly: cfg.AnswerOnly, WSAddress: gateAddress(reserved, cfg.GateTLS != nil),
		HTTPClient: n.client, HolderKey: holder, Logger: cfg.Logger.With("layer", "signaling")})
	if err != nil {
		return nil, fmt.Errorf("node: registering with %s: %w", strings.Join(cfg.signalingURLs(), ", "), err)
	}
	id := n.sig.ID()

	wcfg := wire.Config{}
	if !cfg.DisableWebRTC {
		wrtc := cfg.WebRTC
		if ice := n.sig.ICEServers(); len(ice.URLs) > 0 {
			cfg.Logger.Info("node: ICE servers from registration", "urls", strings.Join(ice.URLs, " "), "turn_credential_expires", ice.ExpiresAt)
		}
		if wrtc.ICEServersFunc == nil {
			// The STUN and TURN servers registration named, with the TURN
			// credential it handed out and renews: no ICE flags needed.
			wrtc.ICEServersFunc = webrtc.SignalingICEServers(n.sig)
		}
		if n.co, err = webrtc.NewCoordinator(n.sig, wrtc); err != nil {
			return nil, fmt.Errorf("node: %w", err)
		}
		wcfg.WebRTC = wire.WebRTCConfig{Enabled: true, Coordinator: n.co}
	}
	if !cfg.DisableWebSocket {
		sig := n.sig
		n.dialer = &websocket.Dialer{Local: id, Options: cfg.WebSocket, TLSConfig: cfg.ClientTLS,
			// The signaling client renews its credential; present the
			// current one at every dial, with a fresh proof for the gate.
			Prove: func(_ context.Context, audience string) (*protocol.AIdCredential, *protocol.ProofOfPossession, error) {
				return sig.Prove(audience)
			}}
		// Where a peer's gate is: the configured resolver, else the
		// configured template, else what the peer registered with the
		// signaling server (route candidates' ws_address_map): every wire
		// a peer offers is dialled.
		resolve := cfg.WSResolve
		if resolve == nil && cfg.WSURLTemplate == "" {
			resolve = func(ctx context.Context, peer protocol.ActorID) (string, error) {
				lctx, cancel := context.WithTimeout(ctx, gateLookupTimeout)
				defer cancel()
				u, err := sig.GateURL(lctx, peer)
				if err != nil {
					// No gate known: the other wires may still reach it.
					cfg.Logger.Debug("node: looking up a peer's gate failed", "peer", peer.String(), "err", err)
					return "", nil
				}
				return u, nil
			}
		}
		wcfg.WebSocket = wire.WebSocketConfig{Enabled: true, URLTemplate: cfg.WSURLTemplate, Resolve: resolve, Dialer: n.dialer}
	}
	if !wcfg.WebRTC.Enabled && !wcfg.WebSocket.Enabled {
		// Only a gate: the node answers over connections peers open.
		wcfg.WebSocket = wire.WebSocketConfig{Enabled: true, Dialer: &websocket.Dialer{Local: id},
			Resolve: func(context.Context, protocol.ActorID) (string, error) { return "", nil }}
	}
	b, err := wire.NewDefaultWireBuilder(wcfg)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	opts := []transport.Option{transport.WithLogger(cfg.Logger.With("layer", "transport"))}
	if cfg.Handler != nil {
		opts = append(opts, transport.WithHandler(cfg.Handler))
	}
	n.mgr, err = transport.NewOutprocManager(id, b, append(opts, cfg.ManagerOptions...)...)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	if n.co != nil {
		n.co.Accept(n.mgr)
	}
	if reserved != nil {
		ln := reserved
		reserved = nil
		if err := n.listen(ctx, ln); err != nil {
			return nil, err
		}
	}
	if cfg.HealthCheckInterval > 0 {
		n.stopHC = n.mgr.StartHealthChecker(cfg.HealthCheckInterval)
	}
	cfg.Logger.Info("node started", "actor", id.String(), "gate", n.GateURL())
	return n, nil
}

// gateLookupTimeout bounds asking the signaling server for a peer's gate.
const gateLookupTimeout = 2 * time.Second

// gateAddress is the gate URL the node registers, with the actor id
// placeholder the server fills in (the node has no id before it
// registers): "" without a gate, or when the gate listens on an
// unspecified address (0.0.0.0, ::), which peers cannot dial.
func gateAddress(ln net.Listener, tls bool) string {
	if ln == nil {
		return ""
	}
	a, ok := ln.Addr().(*net.TCPAddr)
	if !ok || a.IP.IsUnspecified() {
		return ""
	}
	scheme := "ws"
	if tls {
		scheme = "wss"
	}
	return scheme + "://" + a.String() + GatePath + signaling.ActorIDPlaceholder
}

// listen serves the gate on the address of reserved, the listener Start
// bound before registering, which it closes. The gate's Listen binds the
// same address again at once (it counts connections from accept, so it
// needs its own listener); only a process taking the port in that
// instant can make it fail.
func (n *Node) listen(ctx context.Context, ln net.Listener) error {
	keys := n.cfg.TrustedKeys
	fetched := keys == nil
	if fetched {
		var err error
		if keys, err = n.fetchKeys(ctx); err != nil {
			_ = ln.Close()
			return fmt.Errorf("node: the gate needs the signaling server's public keys: %w", err)
		}
	}
	verifier := auth.NewVerifier(keys)
	if fetched && n.cfg.KeyRefresh > 0 {
		known := map[uint32]bool{}
		for id := range keys {
			known[id] = true
		}
		rctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			n.refreshKeys(rctx, verifier, known)
		}()
		n.stopKeys = func() {
			cancel()
			<-done
		}
	}
	g, err := websocket.NewGate(websocket.GateConfig{Acceptor: n.mgr, Verifier: verifier, Options: n.cfg.WebSocket, Path: GatePath,
		MaxConns: n.cfg.GateMaxConns, MaxConnsPerIP: n.cfg.GateMaxConnsPerIP, AllowBearer: n.cfg.GateAllowBearer,
		AllowedOrigins: n.cfg.GateAllowedOrigins})
	if err != nil {
		_ = ln.Close()
		return fmt.Errorf("node: %w", err)
	}
	// The listener bound before registering is the gate's: no window in
	// which another process could take the port.
	n.gate, n.server = g, g.Serve(ln, n.cfg.GateTLS)
	return nil
}

// httpClient makes the handshakes of the node's WebSocket connections.
// Upgraded connections never return to a pool, so keep-alives are off.
func httpClient(tlsCfg *tls.Config) *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true,
	}}
}

// ID is the node's actor, as the signaling server registered it at Start.
// It stays the node's after Close (unregistering does not change who it
// was).
func (n *Node) ID() protocol.ActorID { return n.mgr.LocalID() }

// Manager is the node's OutprocManager: Send, events, introspection.
func (n *Node) Manager() *transport.OutprocManager { return n.mgr }

// Send sends data to the actor dest; see transport.OutprocManager.Send.
func (n *Node) Send(ctx context.Context, dest protocol.ActorID, pt protocol.PayloadType, data []byte) error {
	return n.mgr.Send(ctx, transport.Actor(dest), pt, data)
}

// Signaling is the node's signaling client.
func (n *Node) Signaling() *signaling.Client { return n.sig }

// Coordinator is the node's WebRTC Coordinator (nil with WebRTC off).
func (n *Node) Coordinator() *webrtc.Coordinator { return n.co }

// Gate is the node's WebSocket gate (nil without WSListen).
func (n *Node) Gate() *websocket.Gate { return n.gate }

// Dialer is the node's WebSocket dialer (nil when it dials no gates).
func (n *Node) Dialer() *websocket.Dialer { return n.dialer }

// GateURL is the URL peers dial to reach this node over WebSocket, or ""
// without a gate.
func (n *Node) GateURL() string {
	if n.server == nil {
		return ""
	}
	return n.server.URL(GatePath + n.ID().String())
}

// GateURLTemplate is the gate's URL with the actor id placeholder, for
// peers configured with a template, or "" without a gate.
func (n *Node) GateURLTemplate() string {
	if n.server == nil {
		return ""
	}
	return n.server.URL(GatePath + wire.ActorIDPlaceholder)
}

// Close stops the node: the gate, every transport, the WebRTC sessions;
// then it unregisters from the signaling server (bounded by ctx) and
// disconnects. What Send accepted is delivered before the wires close,
// until ctx or the manager's close grace (transport.WithCloseGrace,
// default 5 s) ends; data still unsent then makes the error match
// transport.ErrUnflushed. It returns when every goroutine of the node has
// ended.
func (n *Node) Close(ctx context.Context) error {
	n.closeOnce.Do(func() { n.closeErr = n.shutdown(ctx, true) })
	return n.closeErr
}

func (n *Node) shutdown(ctx context.Context, unregister bool) error {
	var errs []error
	n.stopHC()
	n.stopKeys()
	if n.server != nil {
		errs = append(errs, n.server.Close())
	}
	if n.mgr != nil {
		errs = append(errs, n.mgr.Shutdown(ctx))
	}
	if n.co != nil {
		errs = append(errs, n.co.Close())
	}
	if n.sig != nil {
		if unregister {
			uctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			// A server that is gone or slow has nothing to unregister, or
			// will drop the actor when its heartbeats stop.
			if err := n.sig.Unregister(uctx); err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, signaling.ErrDisconnected) {
				errs = append(errs, fmt.Errorf("node: unregistering: %w", err))
			}
			cancel()
		}
		errs = append(errs, n.sig.Close())
	}
	return errors.Join(errs...)
}
