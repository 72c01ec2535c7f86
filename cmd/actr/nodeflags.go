package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/webrtc"
)

// nodeFlags are the flags of every command that runs a node.
type nodeFlags struct {
	signal       string
	realm        uint
	typ          string
	secretFile   string
	wsURL        string
	noWebSocket  bool
	noWebRTC     bool
	loopbackOnly bool
	answerOnly   bool
	iceServers   string
	iceUser      string
	iceCred      string
	health       time.Duration
	caFile       string
	udpMux       bool
	udpPort      uint
	udpBuffer    int
	// WebRTC limits on what a peer may cost the node (webrtc.Config).
	rtcStall       time.Duration
	rtcSetups      int
	rtcSetupWithin time.Duration
	nets           *netFlags
}

func addNodeFlags(f *flags, defaultType string) *nodeFlags {
	nf := &nodeFlags{}
	f.StringVar(&nf.signal, "signal", "ws://127.0.0.1:7000/", "URL of the signaling server (ws:// or wss://); several, comma-separated, are servers of one cluster, tried in turn and failed over to")
	f.UintVar(&nf.realm, "realm", 1, "realm to register in")
	f.StringVar(&nf.typ, "type", defaultType, "actor type to register as, manufacturer:name[:version] (version "+protocol.DefaultVersion+" when not given)")
	f.StringVar(&nf.secretFile, "secret-file", "", "file holding the realm secret, if the realm needs one (or set ACTR_REALM_SECRET)")
	f.StringVar(&nf.wsURL, "ws-url", "", "WebSocket gate URL template of peers, with "+wire.ActorIDPlaceholder+" (e.g. ws://127.0.0.1:9001/actr/"+wire.ActorIDPlaceholder+"); empty: the gate each peer registered with the signaling server, if any")
	f.BoolVar(&nf.noWebRTC, "no-webrtc", false, "turn the WebRTC wire off")
	f.BoolVar(&nf.noWebSocket, "no-websocket", false, "dial no WebSocket wires (WebRTC only); a gate (--ws-listen) still takes peers' connections")
	f.BoolVar(&nf.loopbackOnly, "loopback-only", false, "WebRTC over 127.0.0.1 only (tests, one machine)")
	f.BoolVar(&nf.answerOnly, "answer-only", false, "never offer WebRTC sessions: peers offer (webrtc_role=answer at the signaling server), as for a node that must not start ICE itself")
	f.StringVar(&nf.iceServers, "ice-servers", "", "comma-separated STUN/TURN URLs (stun:host:3478,turn:host:3478), besides those the signaling server hands out at registration")
	f.StringVar(&nf.iceUser, "ice-username", "", "username for the TURN servers")
	f.StringVar(&nf.iceCred, "ice-credential", "", "credential for the TURN servers (prefer ACTR_ICE_CREDENTIAL: flags show in ps)")
	f.BoolVar(&nf.udpMux, "udp-mux", false, "share one UDP socket per local address among all WebRTC connections")
	f.UintVar(&nf.udpPort, "udp-port", 0, "UDP port of the shared sockets (implies --udp-mux; 0: any free port)")
	f.IntVar(&nf.udpBuffer, "udp-buffer", webrtc.DefaultUDPSocketBuffer, "kernel receive and send buffer in bytes asked for on every WebRTC UDP socket (-1: the OS default; capped by net.core.rmem_max without CAP_NET_ADMIN)")
	f.DurationVar(&nf.rtcStall, "webrtc-stall-timeout", webrtc.DefaultStallTimeout, "fail a WebRTC wire whose peer drained nothing of a full send queue for this long (-1s: never)")
	f.IntVar(&nf.rtcSetups, "webrtc-max-inbound-setups", webrtc.DefaultMaxInboundSetups, "WebRTC sessions peers started that may be being set up at once; beyond, peers are refused")
	f.DurationVar(&nf.rtcSetupWithin, "webrtc-setup-timeout", webrtc.DefaultInboundSetupTimeout, "close a WebRTC session a peer started that is not ready within this")
	f.StringVar(&nf.caFile, "ca-file", "", "PEM file of the CA certificates to trust for wss:// (signaling, peers' gates) instead of the system's")
	f.DurationVar(&nf.health, "health-interval", 5*time.Second, "how often wires are health-checked and failed ones re-dialled")
	nf.nets = addNetFlags(f)
	return nf
}

// config returns the node configuration the flags describe.
func (nf *nodeFlags) config(log *slog.Logger) (node.Config, error) {
	t, err := parseType(nf.typ)
	if err != nil {
		return node.Config{}, err
	}
	urls := splitList(nf.signal)
	cfg := node.Config{Realm: uint32(nf.realm), Type: t,
		WSURLTemplate: nf.wsURL, DisableWebRTC: nf.noWebRTC, DisableWebSocket: nf.noWebSocket, HealthCheckInterval: nf.health, Logger: log,
		AnswerOnly: nf.answerOnly}
	if len(urls) == 0 {
		urls = []string{""}
	}
	for _, u := range urls {
		if err := checkSignalURL(u); err != nil {
			return cfg, err
		}
	}
	cfg.SignalingURL, cfg.SignalingURLs = urls[0], urls[1:]
	if nf.wsURL != "" && !strings.Contains(nf.wsURL, wire.ActorIDPlaceholder) {
		return cfg, usageError("--ws-url %q has no %s placeholder", nf.wsURL, wire.ActorIDPlaceholder)
	}
	var secret string
	if nf.secretFile != "" {
		if secret, err = readSecret(nf.secretFile); err != nil {
			return cfg, err
		}
	} else {
		secret, _ = readSecret("") // from the environment, if set
	}
	if cfg.RealmSecret, err = secretForRealm(secret, cfg.Realm); err != nil {
		return cfg, err
	}
	if nf.caFile != "" {
		pem, err := os.ReadFile(nf.caFile)
		if err != nil {
			return cfg, fmt.Errorf("reading --ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return cfg, usageError("--ca-file %s holds no PEM certificate", nf.caFile)
		}
		cfg.ClientTLS = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	if nf.udpPort > 65535 {
		return cfg, usageError("--udp-port %d: want 0-65535", nf.udpPort)
	}
	if nf.udpBuffer == 0 || nf.udpBuffer < -1 {
		return cfg, usageError("--udp-buffer %d: want a size in bytes, or -1 for the OS default", nf.udpBuffer)
	}
	cfg.WebRTC.UDPMux = nf.udpMux || nf.udpPort != 0
	cfg.WebRTC.UDPMuxPort, cfg.WebRTC.UDPSocketBuffer = int(nf.udpPort), nf.udpBuffer
	cfg.WebRTC.LoopbackOnly = nf.loopbackOnly
	if nf.rtcStall == 0 || nf.rtcSetups <= 0 || nf.rtcSetupWithin <= 0 {
		return cfg, usageError("--webrtc-stall-timeout must not be 0, --webrtc-max-inbound-setups and --webrtc-setup-timeout must be positive")
	}
	cfg.WebRTC.StallTimeout, cfg.WebRTC.MaxInboundSetups, cfg.WebRTC.InboundSetupTimeout = nf.rtcStall, nf.rtcSetups, nf.rtcSetupWithin
	if err := nf.nets.apply(&cfg.WebRTC); err != nil {
		return cfg, err
	}
	if nf.iceServers != "" {
		cred := nf.iceCred
		if cred == "" {
			cred = os.Getenv("ACTR_ICE_CREDENTIAL")
		}
		s := pion.ICEServer{URLs: strings.Split(nf.iceServers, ","), Username: nf.iceUser, Credential: cred}
		cfg.WebRTC.ICEServers = []pion.ICEServer{s}
	}
	return cfg, nil
}

// checkSignalURL explains a --signal that is not a ws:// or wss:// URL
// (Go's URL parser would say "first path segment in URL cannot contain
// colon" of 127.0.0.1:7000).
func checkSignalURL(s string) error {
	u, err := url.Parse(s)
	if err == nil && (u.Scheme == "ws" || u.Scheme == "wss") && u.Host != "" {
		return nil
	}
	hint := "ws://127.0.0.1:7000/"
	switch {
	case s != "" && !strings.Contains(s, "://"): // host:port without a scheme
		hint = "ws://" + s
		if !strings.Contains(s, "/") {
			hint += "/"
		}
	case err == nil && u.Scheme == "http" && u.Host != "":
		hint = "ws://" + u.Host + u.Path
	case err == nil && u.Scheme == "https" && u.Host != "":
		hint = "wss://" + u.Host + u.Path
	}
	return usageError("--signal %q: want a ws:// or wss:// URL of the signaling server, e.g. %s", s, hint)
}

// parseType parses manufacturer:name.
func parseType(s string) (signaling.ActorType, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || (len(parts) == 3 && parts[2] == "") {
		return signaling.ActorType{}, usageError("--type %q: want manufacturer:name or manufacturer:name:version, e.g. acme:echo:1.0", s)
	}
	t := signaling.ActorType{Manufacturer: parts[0], Name: parts[1]}
	if len(parts) == 3 {
		t.Version = parts[2]
	}
	return t, nil
}

func fmtDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return d.Round(time.Millisecond).String()
}

// explainRegistration adds to a refused registration what the user can
// do about it: the server says why (no secret, a wrong one, or a realm it
// admits nobody into); the flags that give a secret are the command's.
func explainRegistration(err error, cfg node.Config) error {
	er, ok := errors.AsType[*signaling.ErrorResponseError](err)
	if !ok || er.Code != signaling.CodeForbidden || strings.Contains(er.Message, "admits no registration") {
		return err // not a secret's matter
	}
	if cfg.RealmSecret == "" {
		return fmt.Errorf("%w (this node presented no realm secret: if realm %d has one, give it with --secret-file FILE or ACTR_REALM_SECRET)", err, cfg.Realm)
	}
	return fmt.Errorf("%w (the secret came from --secret-file or ACTR_REALM_SECRET: check that it holds realm %d's secret, or pick the realm with --realm)", err, cfg.Realm)
}
