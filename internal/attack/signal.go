package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// relayPace keeps one connection under the server's default rate limit
// of 200 envelopes/s (with a margin), so it is never closed as abusive
// for the rate alone.
const relayPace = time.Second / 180

func (e *env) signalAddr() (host, path string, err error) {
	u, err := url.Parse(e.signalURL)
	if err != nil {
		return "", "", err
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	return u.Host, p, nil
}

// readServerFrame reads one unmasked WebSocket frame (the server's) and
// returns its opcode and payload, up to max bytes.
func readServerFrame(r *bufio.Reader, max int) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = int64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return 0, nil, err
		}
		n = int64(binary.BigEndian.Uint64(b[:]))
	}
	if n > int64(max) {
		return 0, nil, fmt.Errorf("a %d-byte frame", n)
	}
	p := make([]byte, n)
	_, err := io.ReadFull(r, p)
	return h[0] & 0x0f, p, err
}

// rawRegister opens a signaling connection by hand, registers on it and
// returns the connection (which the caller then never reads).
func (e *env) rawRegister(ctx context.Context, name string) (net.Conn, protocol.ActorID, error) {
	host, path, err := e.signalAddr()
	if err != nil {
		return nil, protocol.ActorID{}, err
	}
	h := http.Header{}
	if e.secret != "" {
		h.Set(signaling.HeaderRealmSecret, e.secret)
	}
	c, br, status, err := rawUpgrade(ctx, e.dialer(), host, path, h)
	if err != nil {
		return nil, protocol.ActorID{}, err
	}
	if c == nil {
		return nil, protocol.ActorID{}, fmt.Errorf("handshake refused: %d", status)
	}
	env := &protocol.SignalingEnvelope{EnvelopeId: proto.String("reg-1"), EnvelopeVersion: proto.Uint32(protocol.EnvelopeVersion),
		Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
			Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: &protocol.RegisterRequest{
				ActrType: &protocol.ActrType{Manufacturer: proto.String("attack"), Name: proto.String(name)},
				Realm:    &protocol.Realm{RealmId: proto.Uint32(e.realm)}}}}}}
	b, _ := proto.Marshal(env)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := c.Write(maskedFrame(0x2, true, b)); err != nil {
		c.Close()
		return nil, protocol.ActorID{}, err
	}
	for {
		op, p, err := readServerFrame(br, 1<<20)
		if err != nil {
			c.Close()
			return nil, protocol.ActorID{}, err
		}
		if op != 0x2 {
			continue
		}
		var r protocol.SignalingEnvelope
		if err := proto.Unmarshal(p, &r); err != nil {
			c.Close()
			return nil, protocol.ActorID{}, err
		}
		if r.GetReplyFor() != "reg-1" {
			continue
		}
		resp := r.GetServerToActr().GetRegisterResponse()
		if resp.GetSuccess() == nil {
			c.Close()
			return nil, protocol.ActorID{}, fmt.Errorf("registration refused: %s", resp.GetError().GetMessage())
		}
		id, err := protocol.ActorIDFromProto(resp.GetSuccess().GetActrId())
		if err != nil {
			c.Close()
		}
		return c, id, err
	}
}

// H4: upgraded signaling connections that never send anything.
func h4(ctx context.Context, e *env, t *tally, ready func()) error {
	host, path, err := e.signalAddr()
	if err != nil {
		return err
	}
	var held heldConns
	var refusedAt atomic.Int64
	statuses := sync.Map{}
	jobs := make(chan struct{})
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for range jobs {
				c, br, status, err := rawUpgrade(ctx, e.dialer(), host, path, nil)
				t.sent.Add(1)
				if err != nil || c == nil {
					t.refused.Add(1)
					refusedAt.Add(1)
					v, _ := statuses.LoadOrStore(status, new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
					continue
				}
				held.hold(c, br, t)
			}
		})
	}
	start := time.Now()
feed:
	for range e.idle {
		select {
		case jobs <- struct{}{}:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	opened := held.open()
	t.conns.Store(int64(opened))
	ready()
	mounted := time.Since(start)
	<-ctx.Done()
	open := held.open()
	closed := held.closeAll()
	st := map[int]int{}
	statuses.Range(func(k, v any) bool { st[k.(int)] = int(v.(*atomic.Int64).Load()); return true })
	t.note("%d of %d upgraded in %.1f s (refused: %s); %d closed by the server within %v of holding, %d still open",
		opened, e.idle, mounted.Seconds(), fmtStatuses(st), closed, e.hold, open)
	return nil
}

// H5: clients that register and then never read, sent 60 KiB relays.
func h5(ctx context.Context, e *env, t *tally, ready func()) error {
	var sinks []protocol.ActorID
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range e.sinks {
		c, id, err := e.rawRegister(ctx, fmt.Sprintf("h5-sink-%d", i))
		if err != nil {
			t.refused.Add(1)
			continue
		}
		conns = append(conns, c)
		sinks = append(sinks, id)
	}
	if len(sinks) == 0 {
		return errors.New("no sink could register")
	}
	t.conns.Store(int64(len(sinks)))
	sdp := "v=0\r\n" + strings.Repeat("a=x-attack:"+strings.Repeat("y", 100)+"\r\n", 60<<10/114)
	sd := &protocol.SessionDescription{Type: protocol.SessionDescription_OFFER.Enum(), Sdp: proto.String(sdp)}
	var wg sync.WaitGroup
	var refusals sync.Map // code → count
	var sendErrs atomic.Int64
	const senders = 4
	for s := range senders {
		c, err := e.dialSignal(ctx, fmt.Sprintf("h5-sender-%d", s))
		if err != nil {
			t.refused.Add(1)
			continue
		}
		wg.Go(func() {
			defer c.Close()
			tick := time.NewTicker(relayPace)
			defer tick.Stop()
			for i := s; ; i += senders {
				select {
				case <-ctx.Done():
					return
				case r := <-c.Refusals():
					t.refused.Add(1)
					v, _ := refusals.LoadOrStore(int(r.Err.Code), new(atomic.Int64))
					v.(*atomic.Int64).Add(1)
					continue
				case <-tick.C:
				}
				if err := c.SendSessionDescription(sinks[i%len(sinks)], sd); err != nil {
					sendErrs.Add(1)
					t.refused.Add(1)
					pause(ctx, 100*time.Millisecond)
					continue
				}
				t.sent.Add(1)
			}
		})
	}
	// In effect once the sinks' queues are full: a refusal (congested)
	// says so, else enough relays to fill them and the kernel's buffers.
	fill := time.NewTimer(15 * time.Second)
	defer fill.Stop()
	for t.sent.Load() < int64(400*len(sinks)) && t.refused.Load() == 0 {
		select {
		case <-ctx.Done():
		case <-fill.C:
		case <-time.After(100 * time.Millisecond):
			continue
		}
		break
	}
	ready()
	<-ctx.Done()
	wg.Wait()
	codes := map[int]int{}
	refusals.Range(func(k, v any) bool { codes[k.(int)] = int(v.(*atomic.Int64).Load()); return true })
	t.note("%d sinks never reading; %d relays of %d KiB sent; refusals by code: %s; %d send errors (connection dropped)",
		len(sinks), t.sent.Load(), len(sdp)>>10, fmtStatuses(codes), sendErrs.Load())
	return nil
}

// H6: distinct presence subscriptions from 2 connections.
func h6(ctx context.Context, e *env, t *tally, ready func()) error {
	var wg sync.WaitGroup
	var clients []*signaling.Client
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	pad := strings.Repeat("p", 100)
	var failed sync.Map
	for k := range 2 {
		c, err := e.dialSignal(ctx, fmt.Sprintf("h6-%d", k))
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	for k, c := range clients {
		wg.Go(func() {
			tick := time.NewTicker(relayPace)
			defer tick.Stop()
			for i := range e.subs {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := c.Subscribe(sctx, signaling.ActorType{Manufacturer: "h6", Name: fmt.Sprintf("c%d-%06d-%s", k, i, pad)})
				cancel()
				t.sent.Add(1)
				if err != nil {
					t.refused.Add(1)
					failed.LoadOrStore(oneLine(err.Error()), true)
				}
			}
		})
	}
	start := time.Now()
	wg.Wait()
	ready()
	t.note("%d subscriptions asked for in %.1f s, %d refused", t.sent.Load(), time.Since(start).Seconds(), t.refused.Load())
	failed.Range(func(k, _ any) bool { t.note("refusal: %s", k); return false })
	<-ctx.Done()
	return nil
}

// H7: connections pinging at the per-connection rate limit, a
// registration flood from one address and discovery load, at once.
func h7(ctx context.Context, e *env, t *tally, ready func()) error {
	n := e.conns
	if n <= 0 {
		n = 50
	}
	var clients []*signaling.Client
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for i := range n + 4 {
		c, err := e.dialSignal(ctx, fmt.Sprintf("h7-%d", i))
		if err != nil {
			t.refused.Add(1)
			continue
		}
		clients = append(clients, c)
	}
	var pings, pingErrs, regs, regErrs, discs, discErrs atomic.Int64
	var wg sync.WaitGroup
	paced := func(c *signaling.Client, ok, bad *atomic.Int64, call func(context.Context, *signaling.Client) error) {
		wg.Go(func() {
			tick := time.NewTicker(relayPace)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				err := call(cctx, c)
				cancel()
				switch {
				case err == nil:
					ok.Add(1)
					t.sent.Add(1)
				case ctx.Err() == nil:
					bad.Add(1)
					t.refused.Add(1)
				}
			}
		})
	}
	for i, c := range clients {
		if i < len(clients)-4 {
			paced(c, &pings, &pingErrs, func(ctx context.Context, c *signaling.Client) error { return c.Ping(ctx) })
		} else {
			paced(c, &discs, &discErrs, func(ctx context.Context, c *signaling.Client) error {
				_, err := c.Discover(ctx, "", 0)
				return err
			})
		}
	}
	for k := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				c, err := e.dialSignal(ctx, fmt.Sprintf("h7-reg-%d", k))
				switch {
				case err == nil:
					regs.Add(1)
					t.sent.Add(1)
					_ = c.Close()
				case ctx.Err() == nil:
					regErrs.Add(1)
					t.refused.Add(1)
					pause(ctx, 10*time.Millisecond)
				}
			}
		})
	}
	start := time.Now()
	ready()
	<-ctx.Done()
	wg.Wait()
	s := time.Since(start).Seconds()
	t.note("%d pinging connections: %.0f pings/s answered, %d refused; registrations %.0f/s (%d refused); discovery %.0f/s (%d refused)",
		len(clients)-4, float64(pings.Load())/s, pingErrs.Load(), float64(regs.Load())/s, regErrs.Load(), float64(discs.Load())/s, discErrs.Load())
	return nil
}

// H12: registrations with wrong realm secrets, and into other realms
// with realm 1's secret. Only against a --policy secret server.
func h12(ctx context.Context, e *env, t *tally, ready func()) error {
	ready()
	if e.secret == "" {
		t.note("skipped: needs a --policy secret server and its --secret-file")
		<-ctx.Done()
		return nil
	}
	var wrongOK, wrongRefused, otherOK, otherTried atomic.Int64
	var wg sync.WaitGroup
	dial := func(realm uint32, secret string) error {
		cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		c, err := signaling.Dial(cctx, signaling.ClientConfig{URL: e.signalURL, Realm: realm, RealmSecret: secret, HTTPClient: e.attackHTTP(),
			Type: signaling.ActorType{Manufacturer: "attack", Name: "h12"}, Logger: e.log})
		if err == nil {
			uctx, cancel := context.WithTimeout(ctx, time.Second)
			_ = c.Unregister(uctx)
			cancel()
			_ = c.Close()
		}
		return err
	}
	start := time.Now()
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				var b [12]byte
				_, _ = rand.Read(b[:])
				err := dial(e.realm, fmt.Sprintf("guess-%x", b))
				if ctx.Err() != nil {
					return
				}
				t.sent.Add(1)
				if err != nil {
					wrongRefused.Add(1)
					t.refused.Add(1)
				} else {
					wrongOK.Add(1)
				}
			}
		})
	}
	wg.Go(func() {
		for i := uint32(0); ctx.Err() == nil; i++ {
			err := dial(4242+i, e.secret)
			if ctx.Err() != nil {
				return
			}
			otherTried.Add(1)
			t.sent.Add(1)
			if err != nil {
				t.refused.Add(1)
			} else {
				otherOK.Add(1)
			}
			pause(ctx, 200*time.Millisecond)
		}
	})
	<-ctx.Done()
	wg.Wait()
	s := time.Since(start).Seconds()
	t.note("wrong secrets: %.0f guesses/s, %d accepted, %d refused; realm %d's secret in realms 4242…: %d/%d accepted",
		float64(wrongOK.Load()+wrongRefused.Load())/s, wrongOK.Load(), wrongRefused.Load(), e.realm, otherOK.Load(), otherTried.Load())
	return nil
}
