package signaling_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// smallReader dials with a 4 KiB receive buffer, so that a client that
// stops reading fills its TCP window quickly (on loopback the kernel
// would otherwise absorb megabytes first).
var smallReader = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}
	return c, err
}}}

// H5: clients that never read, sent large relays, cost the server at most
// their outbound budget while connected, and are dropped (counted) when a
// write does not finish within WriteTimeout. Memory per attacker
// connection is measured and bounded.
func TestHostileH5NonReadingClientsDropped(t *testing.T) {
	const attackers = 8
	const writeTimeout = 1500 * time.Millisecond
	// The sender's rates are not what this test is about.
	ts := newServer(t, signaling.ServerConfig{RateLimit: 1e6, RateBurst: 1e6, MaxViolations: 1 << 20,
		Limits: signaling.Limits{WriteTimeout: writeTimeout, PingInterval: 2 * time.Second, PingTimeout: time.Second, AddrRateLimit: 1e6, AddrRateBurst: 1e6}}, "")
	c := ts.srv.Counters()
	ctx := bounded(t, 20*time.Second)

	sender, sid, scred := rawRegister(t, ctx, ts.url, nil, typeA, 1)
	refusedFor := make(chan string, 4096) // reply_for of 503 and 404 answers
	pongs := make(chan string, 16)
	var readers sync.WaitGroup
	readers.Go(func() {
		for {
			_, b, err := sender.c.Read(ctx)
			if err != nil {
				return
			}
			var env protocol.SignalingEnvelope
			if proto.Unmarshal(b, &env) != nil {
				continue
			}
			switch {
			case env.GetEnvelopeError().GetCode() == signaling.CodeUnavailable,
				// Already dropped (a slow run): done with that target too.
				env.GetEnvelopeError().GetCode() == signaling.CodeNotFound:
				refusedFor <- env.GetReplyFor()
			case env.GetServerToActr().GetPong() != nil:
				pongs <- env.GetReplyFor()
			}
		}
	})
	defer readers.Wait()
	defer sender.c.CloseNow()

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	before := heap()
	targets := make([]protocol.ActorID, attackers)
	for i := range targets {
		r := rawDialWith(t, ctx, ts.url, smallReader)
		env, err := r.register(ctx, typeB, 1)
		if err != nil {
			t.Fatal(err)
		}
		targets[i], _ = protocol.ActorIDFromProto(env.GetServerToActr().GetRegisterResponse().GetSuccess().GetActrId())
		// From here on the attacker never reads.
	}
	idle := heap()

	big := strings.Repeat("x", 16<<10) // four fit a target's relay room
	for _, dst := range targets {
		ids := map[string]bool{}
		env := relayEnv(sid, scred, dst)
		env.GetActrRelay().GetIceCandidate().Candidate = proto.String(big)
	fill:
		for n := 0; ; n++ {
			if n == 2000 {
				t.Fatalf("no relay to %s refused after %d", dst, n)
			}
			id, err := sender.send(ctx, env)
			if err != nil {
				var why []string
				for _, r := range signaling.DisconnectReasons() {
					why = append(why, fmt.Sprint(r, "=", c.Disconnected(r)))
				}
				t.Fatalf("sending relay %d to %s: %v (disconnections: %v)", n, dst, err, why)
			}
			ids[id] = true
			select {
			case rid := <-refusedFor:
				if ids[rid] {
					break fill
				}
			default:
			}
		}
	}
	// The server has handled every relay once it answers a ping sent after
	// them: measure then, not while it still reads the backlog.
	marker, err := sender.send(ctx, pingEnv(sid, scred))
	if err != nil {
		t.Fatal(err)
	}
	for got := ""; got != marker; {
		select {
		case got = <-pongs:
		case <-ctx.Done():
			t.Fatal("no pong after the relays")
		}
	}
	full := heap()
	if q := c.QueuedBytes(); q > attackers*32<<10 {
		t.Fatalf("queued bytes %d, want at most %d", q, attackers*32<<10)
	}
	perConn := (int64(full) - int64(before)) / attackers
	held := (int64(full) - int64(idle)) / attackers
	t.Logf("heap per attacker connection: %d B in all (both ends in this process), %d B held by the attack; queued %d B",
		perConn, held, c.QueuedBytes())
	if gone := c.Disconnected(signaling.DisconnectWriteTimeout) + c.Disconnected(signaling.DisconnectKeepalive); gone != 0 {
		t.Logf("%d attackers already dropped when measured (a slow run): the figure is not theirs", gone)
	} else if perConn > 64<<10 {
		t.Fatalf("%d bytes per attacker connection, want at most 64 KiB", perConn)
	}

	start := time.Now()
	// A write blocked past WriteTimeout, or (when the kernel's buffers took
	// everything queued) the ping behind it unanswered: either drops it.
	eventually(t, ctx, "non-reading clients dropped", func() bool {
		return c.Disconnected(signaling.DisconnectWriteTimeout)+c.Disconnected(signaling.DisconnectKeepalive) == attackers
	})
	t.Logf("dropped %v after the attack (write timeout %v): %d by the write deadline, %d by keepalive", time.Since(start), writeTimeout,
		c.Disconnected(signaling.DisconnectWriteTimeout), c.Disconnected(signaling.DisconnectKeepalive))
	eventually(t, ctx, "queues released", func() bool { return c.QueuedBytes() == 0 })
	if c.Refused(signaling.RefusedSendBudget) == 0 {
		t.Fatal("refused relays not counted")
	}
}

func rawDialWith(t testing.TB, ctx context.Context, url string, hc *http.Client) *raw {
	t.Helper()
	c, _, err := cws.Dial(ctx, url, &cws.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &raw{c: c}
}
