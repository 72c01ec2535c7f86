package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// pair is an embedded signaling server and two nodes on 127.0.0.1, each
// with a gate, both wire kinds enabled unless kinds says otherwise.
type pair struct {
	srv  *signaling.Server
	ln   *signaling.Listener
	a, b *node.Node
	ha   lateHandler
	hb   lateHandler
	log  *slog.Logger
}

// lateHandler forwards to a handler set after the node started (it needs
// the node); messages before that are dropped.
type lateHandler struct {
	h atomic.Pointer[transport.Handler]
}

func (l *lateHandler) set(h transport.Handler) { l.h.Store(&h) }

func (l *lateHandler) ServeMessage(ctx context.Context, m transport.Message) {
	if h := l.h.Load(); h != nil {
		(*h).ServeMessage(ctx, m)
	}
}

// pairOptions shape the pair.
type pairOptions struct {
	names     [2]string
	noWebRTC  bool // WebSocket only
	noWS      bool // WebRTC only
	health    time.Duration
	sendStats bool
}

func startPair(ctx context.Context, o pairOptions, log *slog.Logger) (_ *pair, err error) {
	p := &pair{log: log}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		return nil, err
	}
	if p.srv, err = signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true},
		Logger: log.With("layer", "signaling-server")}); err != nil {
		return nil, err
	}
	if p.ln, err = p.srv.Listen("127.0.0.1:0", nil); err != nil {
		return nil, fmt.Errorf("starting the signaling server: %w", err)
	}
	var dir sync.Map // ActorID → gate URL
	resolve := func(_ context.Context, id protocol.ActorID) (string, error) {
		u, _ := dir.Load(id)
		s, _ := u.(string)
		return s, nil
	}
	start := func(name string, h transport.Handler) (*node.Node, error) {
		cfg := node.Config{SignalingURL: p.ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "demo", Name: name},
			WSListen: "127.0.0.1:0", WebRTC: webrtc.Config{LoopbackOnly: true}, DisableWebRTC: o.noWebRTC, DisableWebSocket: o.noWS,
			HealthCheckInterval: o.health, Handler: h, Logger: log,
			TrustedKeys: map[uint32]ed25519.PublicKey{iss.KeyID(): iss.PublicKey()}}
		if !o.noWS {
			cfg.WSResolve = resolve
		}
		if o.sendStats {
			cfg.ManagerOptions = []transport.Option{transport.WithSendStats()}
		}
		n, err := node.Start(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("starting %s: %w", name, err)
		}
		dir.Store(n.ID(), n.GateURL())
		return n, nil
	}
	if p.b, err = start(o.names[1], &p.hb); err != nil {
		return nil, err
	}
	if p.a, err = start(o.names[0], &p.ha); err != nil {
		return nil, err
	}
	return p, nil
}

// url is the signaling server's URL.
func (p *pair) url() string { return p.ln.URL() }

func (p *pair) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, n := range []*node.Node{p.a, p.b} {
		if n != nil {
			if err := n.Close(ctx); err != nil {
				p.log.Warn("closing a node", "err", err)
			}
		}
	}
	if p.ln != nil {
		_ = p.ln.Close()
	}
	if p.srv != nil {
		_ = p.srv.Close()
	}
}

// defaultEchoTimeout bounds each echo's Send. Without a bound, an echo to
// a peer that stopped reading would wait for as long as that peer's wire
// lasts, and the peer's later messages with it.
const defaultEchoTimeout = 5 * time.Second

// echoHandler returns a handler that sends every message back to its sender
// from n, with byte 8 (if any) set to the wire it came in on.
func echoHandler(n func() *node.Node, log *slog.Logger) transport.Handler {
	return transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		data := append([]byte(nil), m.Data...)
		if len(data) > 8 {
			data[8] = byte(m.Wire)
		}
		ectx, cancel := context.WithTimeout(ctx, defaultEchoTimeout)
		defer cancel()
		if err := n().Send(ectx, m.From, m.Type, data); err != nil && ctx.Err() == nil {
			log.Warn("echo failed", "to", m.From.String(), "err", err)
		}
	})
}
