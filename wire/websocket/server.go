package websocket

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// Server is a gate listening on an address.
type Server struct {
	srv    *http.Server
	gate   *Gate
	ln     net.Listener
	scheme string
	done   chan struct{}
	err    error
}

// Listen serves g on addr (e.g. "127.0.0.1:0").
func (g *Gate) Listen(addr string) (*Server, error) { return g.listen(addr, nil) }

// ListenTLS serves g on addr over TLS (wss://).
func (g *Gate) ListenTLS(addr string, cfg *tls.Config) (*Server, error) {
	if cfg == nil {
		return nil, errors.New("websocket: ListenTLS needs a tls.Config")
	}
	return g.listen(addr, cfg)
}

func (g *Gate) listen(addr string, tlsCfg *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		srv: &http.Server{
			Handler:           g,
			ReadHeaderTimeout: g.cfg.HandshakeTimeout,
			IdleTimeout:       g.cfg.HandshakeTimeout,
			MaxHeaderBytes:    16 << 10,
			// Failed TLS handshakes and the like: the gate's log, not stderr.
			ErrorLog: slog.NewLogLogger(g.opts.Logger.Handler(), slog.LevelDebug),
		},
		gate: g, ln: ln, scheme: "ws", done: make(chan struct{}),
	}
	if tlsCfg != nil {
		s.scheme = "wss"
		ln = tls.NewListener(ln, tlsCfg)
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL returns the ws:// (or wss://) URL of path on this server.
func (s *Server) URL(path string) string { return s.scheme + "://" + s.ln.Addr().String() + path }

// Close stops listening and closes handshakes in progress. Accepted
// connections belong to the Acceptor and stay open. It waits for the
// server's goroutine.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	s.gate.handlers.Wait() // handlers of hijacked connections outlive srv.Close
	if err == nil {
		err = s.err
	}
	return err
}
