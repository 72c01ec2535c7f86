package websocket

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"
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

// Serve serves g on ln, a listener the caller bound (say, before it had
// what the gate needs), and closes ln when the Server closes. tlsCfg, if
// not nil, serves wss://.
func (g *Gate) Serve(ln net.Listener, tlsCfg *tls.Config) *Server { return g.serve(ln, tlsCfg) }

func (g *Gate) listen(addr string, tlsCfg *tls.Config) (*Server, error) {
	raw, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return g.serve(raw, tlsCfg), nil
}

func (g *Gate) serve(raw net.Listener, tlsCfg *tls.Config) *Server {
	var ln net.Listener = &gateListener{Listener: raw, g: g}
	s := &Server{
		srv: &http.Server{
			Handler:           g,
			ReadHeaderTimeout: g.cfg.HandshakeTimeout,
			IdleTimeout:       g.cfg.HandshakeTimeout,
			MaxHeaderBytes:    16 << 10,
			// Failed TLS handshakes and the like: the gate's log, not stderr.
			ErrorLog: slog.NewLogLogger(g.opts.Logger.Handler(), slog.LevelDebug),
			// ServeHTTP finds the connection's slots (or refusal) here.
			ConnContext: func(ctx context.Context, c net.Conn) context.Context {
				if tc, ok := c.(*tls.Conn); ok {
					c = tc.NetConn()
				}
				if gc, ok := c.(*gateConn); ok {
					ctx = context.WithValue(ctx, gateConnKey{}, gc)
				}
				return ctx
			},
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
	return s
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

// maxRefusing bounds the connections over a limit that are being answered
// at once (each for refuseTimeout at most); more are closed unanswered, so
// that refusing cannot cost more than a few fds.
const maxRefusing = 64

// refuseTimeout bounds reading the request of a connection over a limit.
const refuseTimeout = time.Second

// gateListener counts a gate's connections from TCP accept, so that a
// caller that never sends its request still holds slots of MaxConns and
// MaxConnsPerIP (until the server's header deadline closes it).
type gateListener struct {
	net.Listener
	g        *Gate
	refusing atomic.Int32 // connections over a limit being answered
}

// gateConnKey is the request context key of a request's *gateConn.
type gateConnKey struct{}

// gateConn is an accepted connection; it gives its slots back once, when
// closed (by the server, or by the WebSocket library after the upgrade).
type gateConn struct {
	net.Conn
	l       *gateListener
	ip      netip.Addr
	refused int       // the refusal's status; 0: the connection holds slots
	limit   time.Time // refused: the read deadline no deadline may pass
	closed  atomic.Bool
}

// Accept implements net.Listener.
func (l *gateListener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := netip.Addr{}
		if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
			ip = ap.Addr().Unmap()
		}
		status := l.g.take(ip)
		if status == 0 {
			return &gateConn{Conn: nc, l: l, ip: ip}, nil
		}
		if l.refusing.Add(1) > maxRefusing {
			l.refusing.Add(-1)
			l.g.opts.Counters.DroppedAtAccept.Add(1)
			_ = nc.Close()
			continue
		}
		gc := &gateConn{Conn: nc, l: l, ip: ip, refused: status, limit: time.Now().Add(refuseTimeout)}
		_ = nc.SetReadDeadline(gc.limit)
		return gc, nil
	}
}

// Close implements net.Conn.
func (c *gateConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		if c.refused != 0 {
			c.l.refusing.Add(-1)
		} else {
			c.l.g.release(c.ip)
		}
	}
	return c.Conn.Close()
}

// SetReadDeadline implements net.Conn: a refused connection's reads end
// by its limit, whatever the server asks.
func (c *gateConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(c.clamp(t))
}

// SetDeadline implements net.Conn, clamped like SetReadDeadline.
func (c *gateConn) SetDeadline(t time.Time) error {
	if c.refused == 0 {
		return c.Conn.SetDeadline(t)
	}
	if err := c.Conn.SetWriteDeadline(t); err != nil {
		return err
	}
	return c.Conn.SetReadDeadline(c.clamp(t))
}

func (c *gateConn) clamp(t time.Time) time.Time {
	if c.refused != 0 && (t.IsZero() || t.After(c.limit)) {
		return c.limit
	}
	return t
}
