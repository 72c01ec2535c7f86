package websocket_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/wire/websocket"
)

// The scale benchmark's floor: WebSocket connections with no library on
// the writing side. Each is a TCP connection upgraded by hand, and a Send
// is one net.Conn Write of a client frame encoded and masked once, before
// the clock starts. What it costs at 10,000 connections against 10 is
// what the kernel and Go's network poller cost at scale; no WebSocket
// library on this machine can write for less.

// tcpConn is a hand-upgraded WebSocket connection. mu orders the
// benchmark's writes with the pongs its reader sends.
type tcpConn struct {
	mu sync.Mutex
	c  net.Conn
}

// write sends one encoded frame.
func (t *tcpConn) write(frame []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, err := t.c.Write(frame)
	return err
}

// tcpPool is the set of hand-upgraded connections and the goroutines
// reading them.
type tcpPool struct {
	conns []*tcpConn
	wg    sync.WaitGroup
}

// close closes every connection and waits for its reader.
func (p *tcpPool) close() {
	for _, t := range p.conns {
		if t != nil {
			_ = t.c.Close()
		}
	}
	p.wg.Wait()
}

// maskedClientFrame returns the WebSocket client frame (binary, final,
// masked with a fixed key) carrying msg.
func maskedClientFrame(msg []byte) []byte {
	key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
	f := []byte{0x82}
	switch n := len(msg); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = append(f, 0x80|126)
		f = binary.BigEndian.AppendUint16(f, uint16(n))
	default:
		f = append(f, 0x80|127)
		f = binary.BigEndian.AppendUint64(f, uint64(n))
	}
	f = append(f, key[:]...)
	for i, b := range msg {
		f = append(f, b^key[i%4])
	}
	return f
}

// connectTCP opens a hand-upgraded WebSocket connection to each URL, with
// the headers a gate wants, and starts a reader on each that answers the
// sink's keepalive pings, as the other two variants' readers do.
func connectTCP(b *testing.B, ctx context.Context, local protocol.ActorID, cred *protocol.AIdCredential, urls []string) *tcpPool {
	p := &tcpPool{conns: make([]*tcpConn, len(urls))}
	err := connectAll(len(urls), func(i int) error {
		t, br, err := upgradeTCP(ctx, urls[i], local, sinkActor(i), cred)
		if err != nil {
			return err
		}
		p.conns[i] = t
		p.wg.Go(func() { answerPings(t, br) })
		return nil
	})
	if err != nil {
		p.close()
		b.Fatal(err)
	}
	return p
}

// upgradeTCP dials rawURL and performs the WebSocket opening handshake.
func upgradeTCP(ctx context.Context, rawURL string, local, target protocol.ActorID, cred *protocol.AIdCredential) (*tcpConn, *bufio.Reader, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, nil, err
	}
	u.Scheme = "http"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	req.Header.Set(websocket.HeaderSourceID, local.String())
	req.Header.Set(websocket.HeaderTargetID, target.String())
	req.Header.Set(websocket.HeaderCredential, auth.EncodeHeader(cred))
	if err := req.Write(c); err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		_ = c.Close()
		return nil, nil, err
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		_ = c.Close()
		return nil, nil, fmt.Errorf("upgrade %s: %s", rawURL, resp.Status)
	}
	return &tcpConn{c: c}, br, nil
}

// answerPings reads server frames until the connection ends, answering
// each ping with a pong. Anything else the sink sends is discarded.
func answerPings(t *tcpConn, br *bufio.Reader) {
	var h [2]byte
	for {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return
		}
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var e [2]byte
			if _, err := io.ReadFull(br, e[:]); err != nil {
				return
			}
			n = uint64(binary.BigEndian.Uint16(e[:]))
		case 127:
			var e [8]byte
			if _, err := io.ReadFull(br, e[:]); err != nil {
				return
			}
			n = binary.BigEndian.Uint64(e[:])
		}
		if h[1]&0x80 != 0 { // servers do not mask; skip a key if one came
			if _, err := br.Discard(4); err != nil {
				return
			}
		}
		op := h[0] & 0x0f
		if op != 0x9 || n > 125 {
			if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil || op == 0x8 {
				return
			}
			continue
		}
		pong := make([]byte, 6+n) // final pong, masked with the zero key: the payload goes as it is
		pong[0], pong[1] = 0x8a, 0x80|byte(n)
		if _, err := io.ReadFull(br, pong[6:]); err != nil {
			return
		}
		if err := t.write(pong); err != nil {
			return
		}
	}
}
