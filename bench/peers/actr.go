package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// The actr servers register with a signaling server the parent runs, so
// that the server process's memory is the node's alone.
const (
	envSignal = "ACTR_PEERS_SIGNAL" // its URL
	envKey    = "ACTR_PEERS_KEY"    // its issuer's key: KEYID:HEX
)

// signalServer is the parent's embedded signaling server.
type signalServer struct {
	srv  *signaling.Server
	ln   *signaling.Listener
	keys map[uint32]ed25519.PublicKey
}

func startSignaling() (*signalServer, error) {
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		return nil, err
	}
	cfg := signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true},
		// Hundreds of nodes and WebRTC sessions from one address in a few
		// seconds (the idle-memory figure): no rate limits.
		RateLimit: 1e6, RateBurst: 1e6}
	cfg.MaxConnsPerAddr = 100_000
	cfg.RegisterRate, cfg.RegisterBurst = 1e6, 1_000_000
	cfg.AddrRateLimit, cfg.AddrRateBurst = 1e6, 1_000_000
	srv, err := signaling.NewServer(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &signalServer{srv: srv, ln: ln, keys: map[uint32]ed25519.PublicKey{iss.KeyID(): iss.PublicKey()}}, nil
}

func (s *signalServer) env() []string {
	var kv []string
	for id, k := range s.keys {
		kv = append(kv, fmt.Sprintf("%d:%s", id, hex.EncodeToString(k)))
	}
	return []string{envSignal + "=" + s.ln.URL(), envKey + "=" + strings.Join(kv, ",")}
}

func (s *signalServer) close() {
	_ = s.ln.Close()
	_ = s.srv.Close()
}

func keysFromEnv() (map[uint32]ed25519.PublicKey, error) {
	keys := map[uint32]ed25519.PublicKey{}
	for _, kv := range strings.Split(os.Getenv(envKey), ",") {
		id, h, ok := strings.Cut(kv, ":")
		n, err := strconv.ParseUint(id, 10, 32)
		k, herr := hex.DecodeString(h)
		if !ok || err != nil || herr != nil || len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%s=%q: want KEYID:HEX", envKey, os.Getenv(envKey))
		}
		keys[uint32(n)] = k
	}
	return keys, nil
}

// serveActr runs an actr node that echoes tagEcho messages to their sender
// and counts tagSink ones: over WebSocket a gate only (it answers over the
// connections peers open), over WebRTC no WebSocket at all.
func serveActr(ctx context.Context, c *counter, overWebRTC bool) ([]string, func(), error) {
	keys, err := keysFromEnv()
	if err != nil {
		return nil, nil, err
	}
	var self atomic.Pointer[node.Node]
	h := transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if len(m.Data) == 0 {
			return
		}
		if m.Data[0] != tagEcho {
			c.inc()
			return
		}
		n := self.Load()
		if n == nil {
			return
		}
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_ = n.Send(ectx, m.From, m.Type, m.Data) // the handler owns m.Data; Send does not keep it
	})
	cfg := node.Config{SignalingURL: os.Getenv(envSignal), Realm: 1, Type: signaling.ActorType{Manufacturer: "bench", Name: "server"},
		Handler: h, TrustedKeys: keys, DisableWebSocket: true, HealthCheckInterval: 5 * time.Second,
		GateMaxConns: 100_000, GateMaxConnsPerIP: 100_000}
	if overWebRTC {
		cfg.WebRTC = webrtc.Config{LoopbackOnly: true}
	} else {
		cfg.DisableWebRTC = true
		cfg.WSListen = "127.0.0.1:0"
	}
	n, err := node.Start(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	self.Store(n)
	info := []string{n.ID().String()}
	if !overWebRTC {
		info = append(info, n.GateURL())
	}
	return info, func() { closeNode(n) }, nil
}

func closeNode(n *node.Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = n.Close(ctx)
}

// actrConn is a client node of its own, talking to the server node.
type actrConn struct {
	n       *node.Node
	dest    protocol.ActorID
	replies chan struct{}
}

// dialActr starts a client node (the signaling part: it registers) and
// returns before any message: the first round trip connects.
func dialActr(overWebRTC bool) dialFunc {
	return func(ctx context.Context, h *harness, info []string) (conn, time.Duration, error) {
		if len(info) < 1 {
			return nil, 0, errors.New("actr server: no actor id")
		}
		dest, err := protocol.ParseActorID(info[0])
		if err != nil {
			return nil, 0, err
		}
		c := &actrConn{dest: dest, replies: make(chan struct{}, 64)}
		cfg := node.Config{SignalingURL: h.sig.ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "bench", Name: "client"},
			TrustedKeys: h.sig.keys, HealthCheckInterval: 5 * time.Second,
			Handler: transport.HandlerFunc(func(context.Context, transport.Message) {
				select {
				case c.replies <- struct{}{}:
				default:
				}
			})}
		if overWebRTC {
			cfg.DisableWebSocket = true
			cfg.WebRTC = webrtc.Config{LoopbackOnly: true}
		} else {
			if len(info) < 2 {
				return nil, 0, errors.New("actr server: no gate URL")
			}
			gate := info[1]
			cfg.DisableWebRTC = true
			cfg.WSResolve = func(context.Context, protocol.ActorID) (string, error) { return gate, nil }
		}
		t0 := time.Now()
		if c.n, err = node.Start(ctx, cfg); err != nil {
			return nil, 0, err
		}
		return c, time.Since(t0), nil
	}
}

func (c *actrConn) roundTripper(size int) (func(context.Context) error, error) {
	p := payload(tagEcho, size)
	return func(ctx context.Context) error {
		if err := c.n.Send(ctx, c.dest, protocol.RPCReliable, p); err != nil {
			return err
		}
		select {
		case <-c.replies:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}, nil
}

func (c *actrConn) sender(_ context.Context, size int) (func(context.Context) error, error) {
	p := payload(tagSink, size)
	return func(ctx context.Context) error { return c.n.Send(ctx, c.dest, protocol.RPCReliable, p) }, nil
}

func (c *actrConn) close() { closeNode(c.n) }
