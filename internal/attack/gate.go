package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/websocket"
)

// gateAddr is host:port of the target's gate.
func (e *env) gateAddr() (string, error) {
	u, err := url.Parse(strings.ReplaceAll(e.gateTemplate, wire.ActorIDPlaceholder, "x"))
	if err != nil {
		return "", fmt.Errorf("--gate %q: %v", e.gateTemplate, err)
	}
	return u.Host, nil
}

// gatePath is the path of the gate URL for actor id.
func (e *env) gatePath(id protocol.ActorID) (string, error) {
	u, err := url.Parse(strings.ReplaceAll(e.gateTemplate, wire.ActorIDPlaceholder, id.String()))
	if err != nil {
		return "", err
	}
	return u.EscapedPath(), nil
}

// gateHeaders are the handshake headers a registered client presents to
// the gate (the names of wire/websocket's Dialer).
func gateHeaders(c *signaling.Client, target protocol.ActorID) http.Header {
	h := http.Header{}
	h.Set(websocket.HeaderSourceID, c.ID().String())
	h.Set(websocket.HeaderCredential, auth.EncodeHeader(c.Credential()))
	if !target.IsZero() {
		h.Set(websocket.HeaderTargetID, target.String())
	}
	return h
}

// rawUpgrade makes a WebSocket handshake by hand on a new TCP connection
// (so that what follows is written byte by byte, unbuffered). It returns
// the connection when the gate answered 101, and the status either way.
func rawUpgrade(ctx context.Context, d *net.Dialer, addr, path string, h http.Header) (net.Conn, *bufio.Reader, int, error) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, 0, err
	}
	var key [16]byte
	_, _ = rand.Read(key[:])
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n", path, addr)
	fmt.Fprintf(&b, "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n", base64.StdEncoding.EncodeToString(key[:]))
	for k, vs := range h {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte(b.String())); err != nil {
		c.Close()
		return nil, nil, 0, err
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		c.Close()
		return nil, nil, 0, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, nil, resp.StatusCode, nil
	}
	_ = c.SetDeadline(time.Time{})
	return c, br, resp.StatusCode, nil
}

// maskedFrame is a client WebSocket frame (masked), fin or not.
func maskedFrame(opcode byte, fin bool, payload []byte) []byte {
	b0 := opcode
	if fin {
		b0 |= 0x80
	}
	var mask [4]byte
	_, _ = rand.Read(mask[:])
	f := []byte{b0}
	switch n := len(payload); {
	case n <= 125:
		f = append(f, 0x80|byte(n))
	case n <= 0xffff:
		f = binary.BigEndian.AppendUint16(append(f, 0x80|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x80|127), uint64(n))
	}
	f = append(f, mask[:]...)
	for i, c := range payload {
		f = append(f, c^mask[i%4])
	}
	return f
}

// heldConns holds connections and notices the target closing them.
type heldConns struct {
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
	closed int // closed by the target while held
	stop   bool
}

// hold keeps c, reading (and discarding) what the target sends until it
// closes c. The attack ends by calling closeAll.
func (h *heldConns) hold(c net.Conn, r *bufio.Reader, t *tally) {
	h.mu.Lock()
	h.conns = append(h.conns, c)
	h.mu.Unlock()
	h.wg.Go(func() {
		var buf [512]byte
		for {
			var err error
			if r != nil {
				_, err = r.Read(buf[:])
			} else {
				_, err = c.Read(buf[:])
			}
			if err != nil {
				h.mu.Lock()
				if !h.stop {
					h.closed++
					t.refused.Add(1)
				}
				h.mu.Unlock()
				return
			}
		}
	})
}

func (h *heldConns) open() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns) - h.closed
}

func (h *heldConns) closeAll() int {
	h.mu.Lock()
	h.stop = true
	closed := h.closed
	for _, c := range h.conns {
		c.Close()
	}
	h.mu.Unlock()
	h.wg.Wait()
	return closed
}

// H3: N upgraded gate connections with a valid credential, each sending
// the first 5 bytes of a message, a frame header announcing 16 MiB, then
// nothing.
func h3(ctx context.Context, e *env, t *tally, ready func()) error {
	n := e.conns
	if n <= 0 {
		// The gate's default limit per address is 64: the legit peer
		// holds one, and one is left for its fresh client.
		n = 62
	}
	c, err := e.dialSignal(ctx, "h3")
	if err != nil {
		return err
	}
	defer c.Close()
	addr, err := e.gateAddr()
	if err != nil {
		return err
	}
	path, err := e.gatePath(e.target)
	if err != nil {
		return err
	}
	hdr := websocket.AppendHeader(nil, protocol.RPCReliable, 16<<20)
	var held heldConns
	statuses := map[int]int{}
	for range n {
		conn, br, status, err := rawUpgrade(ctx, e.dialer(), addr, path, gateHeaders(c, e.target))
		t.sent.Add(1)
		if err != nil || conn == nil {
			t.refused.Add(1)
			statuses[status]++
			continue
		}
		if _, err := conn.Write(maskedFrame(0x2, false, hdr)); err != nil {
			t.refused.Add(1)
			conn.Close()
			continue
		}
		held.hold(conn, br, t)
	}
	t.conns.Store(int64(held.open()))
	ready()
	<-ctx.Done()
	open := held.open()
	closed := held.closeAll()
	t.note("%d connections upgraded of %d (refused: %s); %d closed by the gate while held, %d open at the end",
		n-sum(statuses), n, fmtStatuses(statuses), closed, open)
	return nil
}

// H10: TCP connections to the gate that never send the HTTP request.
func h10(ctx context.Context, e *env, t *tally, ready func()) error {
	n := e.conns
	if n <= 0 {
		n = 100
	}
	addr, err := e.gateAddr()
	if err != nil {
		return err
	}
	var held heldConns
	d := e.dialer()
	for range n {
		c, err := d.DialContext(ctx, "tcp", addr)
		t.sent.Add(1)
		if err != nil {
			t.refused.Add(1)
			continue
		}
		held.hold(c, nil, t)
	}
	t.conns.Store(int64(held.open()))
	ready()
	// Does the gate still take a real client now? Try a handshake beyond
	// the per-address limit.
	probe := "not tried"
	if c, err := e.legitSignal(ctx, "h10-probe"); err == nil {
		path, _ := e.gatePath(e.target)
		conn, _, status, err := rawUpgrade(ctx, &net.Dialer{Timeout: 5 * time.Second}, addr, path, gateHeaders(c, e.target))
		switch {
		case err != nil:
			probe = "error: " + oneLine(err.Error())
		case conn != nil:
			probe = "101 (accepted)"
			conn.Close()
		default:
			probe = fmt.Sprint(status)
		}
		_ = c.Close()
	}
	<-ctx.Done()
	open := held.open()
	closed := held.closeAll()
	t.note("%d TCP connections opened; %d closed by the gate while held, %d open at the end; a real handshake meanwhile: %s", n, closed, open, probe)
	return nil
}

// H13: handshakes whose URL path names another actor than the gate's
// (with X-Actr-Target-ID naming the gate's actor, and without it).
func h13(ctx context.Context, e *env, t *tally, ready func()) error {
	c, err := e.dialSignal(ctx, "h13")
	if err != nil {
		return err
	}
	defer c.Close()
	addr, err := e.gateAddr()
	if err != nil {
		return err
	}
	other := protocol.ActorID{Realm: e.target.Realm, Serial: e.target.Serial + 1000003, Manufacturer: "acme", Name: "someone-else"}
	path, err := e.gatePath(other)
	if err != nil {
		return err
	}
	ready()
	accepted := [2]int{}
	tried := [2]int{}
	statuses := map[int]int{}
	for i := 0; ctx.Err() == nil; i++ {
		v := i % 2 // 0: target header names the gate's actor; 1: no target header
		tgt := e.target
		if v == 1 {
			tgt = protocol.ActorID{}
		}
		conn, _, status, err := rawUpgrade(ctx, e.dialer(), addr, path, gateHeaders(c, tgt))
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			break
		}
		t.sent.Add(1)
		tried[v]++
		switch {
		case err != nil:
			t.refused.Add(1)
			statuses[0]++
		case conn != nil:
			accepted[v]++
			conn.Close()
		default:
			t.refused.Add(1)
			statuses[status]++
		}
		pause(ctx, 100*time.Millisecond)
	}
	t.note("path naming %s accepted %d/%d with the target header naming the gate's actor, %d/%d without it (refused: %s)",
		other, accepted[0], tried[0], accepted[1], tried[1], fmtStatuses(statuses))
	return nil
}

func sum(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func fmtStatuses(m map[int]int) string {
	if len(m) == 0 {
		return "none"
	}
	var s []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		name := fmt.Sprint(k)
		if k == 0 {
			name = "error"
		}
		s = append(s, fmt.Sprintf("%d×%s", m[k], name))
	}
	return strings.Join(s, " ")
}
