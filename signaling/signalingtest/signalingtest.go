// Package signalingtest runs an embedded signaling server on 127.0.0.1
// for tests of the layers above it (WebRTC, nodes, the actr command).
package signalingtest

import (
	"testing"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/signaling"
)

// Server is a running signaling server that can be stopped and started
// again on the same address with the same key, as a restarted signaling
// process would be.
type Server struct {
	// URL is the ws:// URL clients dial.
	URL string
	// Issuer signs the credentials the server hands out.
	Issuer *auth.Issuer

	cfg  signaling.ServerConfig
	addr string
	srv  *signaling.Server
	ln   *signaling.Listener
}

// Start runs a server with cfg until the test ends. A nil cfg.Issuer is
// generated (key id 1); with neither Realms nor DefaultPolicy set, every
// realm is open.
func Start(t testing.TB, cfg signaling.ServerConfig) *Server {
	t.Helper()
	if cfg.Issuer == nil {
		iss, err := auth.GenerateIssuer(1)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Issuer = iss
	}
	if cfg.Realms == nil && cfg.DefaultPolicy == (signaling.RegistrationPolicy{}) {
		cfg.DefaultPolicy = signaling.RegistrationPolicy{Open: true}
	}
	s := &Server{Issuer: cfg.Issuer, cfg: cfg, addr: "127.0.0.1:0"}
	s.Restart(t)
	s.addr = s.ln.Addr().String()
	t.Cleanup(s.Stop)
	return s
}

// Stop closes the server and its listener; clients see their connections
// drop.
func (s *Server) Stop() {
	if s.srv != nil {
		_ = s.ln.Close()
		_ = s.srv.Close()
		s.srv, s.ln = nil, nil
	}
}

// Restart starts the server again after Stop, on the same address.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	srv, err := signaling.NewServer(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen(s.addr, nil)
	if err != nil {
		_ = srv.Close()
		t.Fatal(err)
	}
	s.srv, s.ln, s.URL = srv, ln, ln.URL()
}
