package signaling

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// Listener is a Server listening on an address.
type Listener struct {
	srv    *http.Server
	ln     net.Listener
	scheme string
	done   chan struct{}
}

// Listen serves s on addr (e.g. "127.0.0.1:0"); tlsCfg, when not nil,
// serves wss://.
func (s *Server) Listen(addr string, tlsCfg *tls.Config) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ht := s.cfg.HeaderTimeout
	l := &Listener{srv: &http.Server{Handler: s, MaxHeaderBytes: 16 << 10,
		// A connection must send its request (and finish its TLS
		// handshake) within HeaderTimeout; until then it holds a slot of
		// the connection caps, which it took at accept.
		ReadHeaderTimeout: ht, IdleTimeout: 4 * ht,
		ConnContext: connContext, ConnState: s.connState,
		// Failed TLS handshakes and the like: the server's log, not stderr.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)},
		ln: ln, scheme: "ws", done: make(chan struct{})}
	var served net.Listener = &capListener{Listener: ln, srv: s}
	if tlsCfg != nil {
		l.scheme = "wss"
		served = tls.NewListener(served, tlsCfg)
	}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(served); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("signaling: serving stopped", "err", err)
		}
	}()
	return l, nil
}

// Addr returns the listening address.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// URL returns the server's ws:// (or wss://) URL.
func (l *Listener) URL() string { return l.scheme + "://" + l.ln.Addr().String() + "/" }

// Close stops listening. Connections already upgraded belong to the Server;
// close it too.
func (l *Listener) Close() error {
	err := l.srv.Close()
	<-l.done
	return err
}
