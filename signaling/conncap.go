package signaling

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// capListener counts connections at accept, before the HTTP request is
// read, so that TCP connections which never send one count against the
// caps as much as upgraded ones.
type capListener struct {
	net.Listener
	srv *Server
}

func (l *capListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a, why, ok := l.srv.admit(c.RemoteAddr().String())
		if !ok {
			refuseConn(c, why)
			continue
		}
		return &trackedConn{Conn: c, srv: l.srv, addr: a}, nil
	}
}

// refuseConn answers a connection over a cap with a bare HTTP status and
// closes it. The write goes to an empty socket buffer; the deadline is
// there so the accept loop can never wait on a client.
func refuseConn(c net.Conn, why RefusalReason) {
	status := "503 Service Unavailable"
	if why == RefusedAddrConnLimit {
		status = "429 Too Many Requests"
	}
	_ = c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_, _ = c.Write([]byte("HTTP/1.1 " + status + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
	_ = c.Close()
}

// trackedConn is an admitted connection; closing it uncounts it.
type trackedConn struct {
	net.Conn
	srv       *Server
	addr      *addrState
	requested atomic.Bool // an HTTP request arrived on it
	once      sync.Once
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.srv.release(c.addr) })
	return err
}

type trackedKey struct{}

// connContext remembers the admitted connection in its requests' contexts.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if t, ok := c.(*trackedConn); ok {
		return context.WithValue(ctx, trackedKey{}, t)
	}
	return ctx
}

// connState counts the connections that closed before sending a complete
// request (HeaderTimeout, or the client gave up).
func (s *Server) connState(c net.Conn, st http.ConnState) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	t, ok := c.(*trackedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateActive:
		t.requested.Store(true)
	case http.StateClosed:
		if !t.requested.Load() {
			s.counters.disconnected[DisconnectNoRequest].Add(1)
		}
	}
}

// admit counts a connection from remote ("host:port") against the caps.
func (s *Server) admit(remote string) (*addrState, RefusalReason, bool) {
	a, why, ok := s.addrs.admit(hostOf(remote), &s.cfg.Limits, time.Now())
	if !ok {
		s.counters.refuse(why)
		s.log.Debug("signaling connection refused", "reason", why.String())
		return nil, why, false
	}
	s.counters.open.Add(1)
	return a, 0, true
}

func (s *Server) release(a *addrState) {
	s.addrs.release(a)
	s.counters.open.Add(-1)
}
