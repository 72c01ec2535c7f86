package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Bare TCP: frames of a 4-byte big-endian length and the payload, each
// written with one Write; read through a 4 KiB bufio.Reader.

func frame(p []byte) []byte {
	f := make([]byte, 4+len(p))
	binary.BigEndian.PutUint32(f, uint32(len(p)))
	copy(f[4:], p)
	return f
}

// readFrame reads a frame into *buf (a whole frame, header included,
// growing it) and returns its payload.
func readFrame(r *bufio.Reader, buf *[]byte) ([]byte, error) {
	b := *buf
	if len(b) < 4 {
		b = make([]byte, 4096)
	}
	if _, err := io.ReadFull(r, b[:4]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(b))
	if n > maxMessage {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	if 4+n > len(b) {
		b = append(b[:4], make([]byte, n)...)
	}
	*buf = b
	if _, err := io.ReadFull(r, b[4:4+n]); err != nil {
		return nil, err
	}
	return b[4 : 4+n], nil
}

func serveTCP(_ context.Context, c *counter) ([]string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[nc] = struct{}{}
			mu.Unlock()
			wg.Go(func() {
				defer func() {
					mu.Lock()
					delete(conns, nc)
					mu.Unlock()
					_ = nc.Close()
				}()
				r := bufio.NewReader(nc)
				var buf []byte
				for {
					p, err := readFrame(r, &buf)
					if err != nil {
						return
					}
					if len(p) > 0 && p[0] == tagEcho {
						if _, err := nc.Write(buf[:4+len(p)]); err != nil { // the frame as it came
							return
						}
					} else {
						c.inc()
					}
				}
			})
		}
	})
	stop := func() {
		_ = ln.Close()
		mu.Lock()
		for nc := range conns {
			_ = nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
	return []string{ln.Addr().String()}, stop, nil
}

type tcpConn struct {
	nc       net.Conn
	r        *bufio.Reader
	buf      []byte
	deadline time.Time // the round trips' ctx deadline, set on nc
}

// follow sets ctx's deadline on the connection (a blocked Read or Write
// then ends with it).
func (c *tcpConn) follow(ctx context.Context) {
	if d, ok := ctx.Deadline(); ok && !d.Equal(c.deadline) {
		c.deadline = d
		_ = c.nc.SetDeadline(d)
	}
}

func dialTCP(ctx context.Context, _ *harness, info []string) (conn, time.Duration, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", info[0])
	if err != nil {
		return nil, 0, err
	}
	return &tcpConn{nc: nc, r: bufio.NewReader(nc)}, 0, nil
}

func (c *tcpConn) roundTripper(size int) (func(context.Context) error, error) {
	f := frame(payload(tagEcho, size))
	return func(ctx context.Context) error {
		c.follow(ctx)
		if _, err := c.nc.Write(f); err != nil {
			return err
		}
		_, err := readFrame(c.r, &c.buf)
		return err
	}, nil
}

// sender: a net.Conn's Write is safe for concurrent use, and one Write's
// bytes are never interleaved with another's.
func (c *tcpConn) sender(ctx context.Context, size int) (func(context.Context) error, error) {
	c.follow(ctx)
	f := frame(payload(tagSink, size))
	return func(context.Context) error {
		_, err := c.nc.Write(f)
		return err
	}, nil
}

func (c *tcpConn) close() { _ = c.nc.Close() }
