package node

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"log/slog"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// Config configures a Node. SignalingURL, Realm and Type are required.
type Config struct {
	// SignalingURL is the ws:// or wss:// URL of the signaling server.
	SignalingURL string
	// SignalingURLs are more servers of the same signaling cluster (or
	// SignalingURL's replacements): the node registers with the first
	// that admits it and fails over to the others, keeping its ActorID
	// (signaling.ClientConfig.URLs).
	SignalingURLs []string
	// Realm and Type are what the node registers as; the server assigns
	// the serial number.
	Realm uint32
	Type  signaling.ActorType
	// RealmSecret is presented when the realm's policy requires one.
	RealmSecret string
	// AnswerOnly asks the signaling server never to make this node the
	// offerer of a WebRTC session (webrtc_role=answer), unless its peer
	// asked the same.
	AnswerOnly bool

	// WebRTC configures the node's PeerConnections. DisableWebRTC turns
	// the WebRTC wire off (WebSocket only).
	WebRTC        webrtc.Config
	DisableWebRTC bool

	// WSListen, when set, serves a WebSocket gate on this address
	// (e.g. "127.0.0.1:9001"): peers may then connect to the node over
	// WebSocket at GateURL.
	WSListen string
	// WSURLTemplate ("ws://host:port/actr/{actor_id}") and WSResolve
	// (per-peer, takes precedence) tell the node where peers' gates are.
	// With neither, the node asks the signaling server: a peer that
	// registered its gate (RegisterRequest.ws_address, as nodes with a
	// gate do) is dialled there, over WebSocket alongside WebRTC.
	WSURLTemplate string
	WSResolve     func(ctx context.Context, peer protocol.ActorID) (string, error)
	// DisableWebSocket: the node dials no WebSocket wires (WebRTC only);
	// its gate, if WSListen is set, still takes peers' connections.
	DisableWebSocket bool
	// WebSocket tunes the node's WebSocket connections, dialled and
	// accepted.
	WebSocket websocket.Options

	// ClientTLS configures the node's TLS clients: the signaling
	// connection, the fetch of its public keys and WebSocket dials to
	// peers' gates (set RootCAs for a private CA). nil uses the system's
	// roots.
	ClientTLS *tls.Config
	// GateTLS, when set, serves the gate over TLS (wss://).
	GateTLS *tls.Config
	// GateMaxConns and GateMaxConnsPerIP bound the gate's connections in
	// all and from one address (websocket.GateConfig; defaults 1024, 64).
	GateMaxConns, GateMaxConnsPerIP int
	// GateAllowBearer admits to the gate peers presenting a bearer
	// credential, one bound to no key (actr's own nodes), which anyone it
	// was shown to can replay (websocket.GateConfig.AllowBearer). Default
	// false: only holder-bound credentials with a proof of possession.
	GateAllowBearer bool
	// GateAllowedOrigins admits browser pages of other origins to the gate
	// (websocket.GateConfig.AllowedOrigins). Default: none.
	GateAllowedOrigins []string

	// TrustedKeys verify the credentials of peers connecting to the gate.
	// nil fetches them from the signaling server (signaling.FetchKeys),
	// and again every KeyRefresh (default 30 s) for keys of servers that
	// joined its cluster since; negative KeyRefresh fetches them once.
	TrustedKeys map[uint32]ed25519.PublicKey
	KeyRefresh  time.Duration

	// Handler receives inbound messages. nil drops them (counted).
	Handler transport.Handler
	// HealthCheckInterval is how often wires are checked (default 5 s;
	// negative disables the checker).
	HealthCheckInterval time.Duration
	// ManagerOptions are passed to transport.NewOutprocManager after the
	// node's own (handler, logger).
	ManagerOptions []transport.Option

	// Logger receives the node's logs (default: discard).
	Logger *slog.Logger
}

const defaultHealthCheckInterval = 5 * time.Second

func (c *Config) check() error {
	var errs []error
	if c.SignalingURL == "" && len(c.SignalingURLs) == 0 {
		errs = append(errs, errors.New("node: Config.SignalingURL (or SignalingURLs) is required"))
	}
	if c.Type.Name == "" {
		errs = append(errs, errors.New("node: Config.Type.Name is required"))
	}
	if c.DisableWebRTC && c.DisableWebSocket && c.WSListen == "" {
		errs = append(errs, errors.New("node: WebRTC and WebSocket dialling are disabled and no gate is configured (WSListen): the node could reach nobody"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.HealthCheckInterval == 0 {
		c.HealthCheckInterval = defaultHealthCheckInterval
	}
	if c.KeyRefresh == 0 {
		c.KeyRefresh = defaultKeyRefresh
	}
	if c.WebRTC.Logger == nil {
		c.WebRTC.Logger = c.Logger.With("layer", "webrtc")
	}
	if c.WebSocket.Logger == nil {
		c.WebSocket.Logger = c.Logger.With("layer", "websocket")
	}
	return c
}

// signalingURLs returns every configured server, SignalingURL first.
func (c Config) signalingURLs() []string {
	var out []string
	if c.SignalingURL != "" {
		out = append(out, c.SignalingURL)
	}
	return append(out, c.SignalingURLs...)
}
