package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/coder/websocket"
)

const maxMessage = 1 << 20

// readMessage reads the rest of a message from r into *buf, growing it,
// and returns it.
func readMessage(r io.Reader, buf *[]byte) ([]byte, error) {
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			*buf = b
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// serveWS is bare coder/websocket: each connection's reader echoes or
// counts, inline.
func serveWS(_ context.Context, c *counter) ([]string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		defer ws.CloseNow()
		ws.SetReadLimit(maxMessage)
		ctx := context.Background()
		buf := make([]byte, 0, 4096)
		for {
			typ, rd, err := ws.Reader(ctx)
			if err != nil {
				return
			}
			m, err := readMessage(rd, &buf)
			if err != nil {
				return
			}
			if len(m) > 0 && m[0] == tagEcho {
				if err := ws.Write(ctx, typ, m); err != nil {
					return
				}
			} else {
				c.inc()
			}
		}
	})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	stop := func() {
		_ = srv.Close() // hijacked connections end with the process
		<-done
	}
	return []string{"ws://" + ln.Addr().String() + "/"}, stop, nil
}

type wsConn struct {
	ws  *websocket.Conn
	buf []byte
}

func dialWS(ctx context.Context, _ *harness, info []string) (conn, time.Duration, error) {
	ws, _, err := websocket.Dial(ctx, info[0], &websocket.DialOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return nil, 0, err
	}
	ws.SetReadLimit(maxMessage)
	return &wsConn{ws: ws, buf: make([]byte, 0, 4096)}, 0, nil
}

func (c *wsConn) roundTripper(size int) (func(context.Context) error, error) {
	p := payload(tagEcho, size)
	return func(ctx context.Context) error {
		if err := c.ws.Write(ctx, websocket.MessageBinary, p); err != nil {
			return err
		}
		_, rd, err := c.ws.Reader(ctx)
		if err != nil {
			return err
		}
		_, err = readMessage(rd, &c.buf)
		return err
	}, nil
}

// sender: coder/websocket's Write is safe for concurrent use.
func (c *wsConn) sender(_ context.Context, size int) (func(context.Context) error, error) {
	p := payload(tagSink, size)
	return func(ctx context.Context) error { return c.ws.Write(ctx, websocket.MessageBinary, p) }, nil
}

func (c *wsConn) close() { _ = c.ws.CloseNow() }
