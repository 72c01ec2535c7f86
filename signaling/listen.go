package signaling

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
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
	l := &Listener{srv: &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 16 << 10,
		// Failed TLS handshakes and the like: the server's log, not stderr.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)},
		ln: ln, scheme: "ws", done: make(chan struct{})}
	if tlsCfg != nil {
		l.scheme = "wss"
		ln = tls.NewListener(ln, tlsCfg)
	}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
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
