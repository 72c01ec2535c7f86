package webrtc_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// awaitResumed waits until c is registered again on a restarted server.
func awaitResumed(t *testing.T, ctx context.Context, c *signaling.Client) {
	t.Helper()
	// A ping succeeds only on a connection the client has resumed on;
	// until it notices the old one died, pings fail at once.
	for c.Ping(ctx) != nil {
		if err := c.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// The signaling server goes away while a and b are connected over
// WebRTC: their traffic keeps flowing (signaling is only for setting up),
// a new connection to c cannot be set up meanwhile, and once the server
// is back (same address and key) the clients resume and a reaches c.
func TestFaultSignalingRestartWhileConnected(t *testing.T) {
	ctx := guard(t)
	vn := newFaultNet(t, 3)
	rs := signalingtest.Start(t, signaling.ServerConfig{})
	w := faultWorldOn(rs.URL, rs.Issuer)
	log := transporttest.NewDeliveryLog()
	a := w.node(t, ctx, vn.nets[0], faultNodeOpts{})
	b := w.node(t, ctx, vn.nets[1], faultNodeOpts{handler: log})
	c := w.node(t, ctx, vn.nets[2], faultNodeOpts{})
	key := transporttest.SeqKey{From: a.id, Type: protocol.RPCReliable}

	// a streams to b from before the outage to after it.
	var (
		stop atomic.Bool
		sent atomic.Uint32
		wg   sync.WaitGroup
		serr error
	)
	wg.Go(func() {
		for seq := uint32(0); !stop.Load(); seq++ {
			if serr = a.mgr.Send(ctx, transport.Actor(b.id), key.Type, transporttest.SeqPayload(0, seq, 1000)); serr != nil {
				return
			}
			sent.Store(seq + 1)
		}
	})
	defer func() { stop.Store(true); wg.Wait() }()
	if err := log.WaitCount(ctx, key, 100); err != nil {
		t.Fatal(err)
	}
	conn, ok := a.co.Conn(b.id)
	if !ok {
		t.Fatal("no WebRTC Conn to b")
	}
	from := a.events.mark()

	rs.Stop()
	down := time.Now()
	if err := a.sig.Ping(ctx); err == nil {
		t.Fatal("a ping went through a stopped signaling server")
	}
	// Traffic flows on: 500 more messages arrive while the server is down.
	base := int(sent.Load())
	if err := log.WaitCount(ctx, key, base+500); err != nil {
		t.Fatal(err)
	}
	t.Logf("signaling down: %d messages delivered a→b in %v after it stopped", log.Count(key)-base, time.Since(down).Round(time.Millisecond))
	// A new connection cannot be set up without signaling.
	sctx, cancel := context.WithTimeout(ctx, time.Second)
	err := a.mgr.Send(sctx, transport.Actor(c.id), protocol.RPCReliable, []byte("anyone?"))
	cancel()
	if err == nil {
		t.Fatal("a reached c over WebRTC with no signaling server")
	}
	t.Logf("Send to c while signaling is down: %v", err)

	rs.Restart(t)
	up := time.Now()
	for _, n := range []*faultNode{a, b, c} {
		awaitResumed(t, ctx, n.sig)
	}
	t.Logf("signaling back: all three clients resumed in %v", time.Since(up).Round(time.Millisecond))
	sendOver(t, ctx, a, c, protocol.RPCReliable, "after the restart", transport.WireWebRTC)
	t.Logf("a reached c %v after signaling came back", time.Since(up).Round(time.Millisecond))

	stop.Store(true)
	wg.Wait()
	if serr != nil && !errors.Is(serr, context.Canceled) {
		t.Fatalf("the a→b stream failed: %v", serr)
	}
	if err := log.WaitFor(ctx, key, sent.Load()-1); err != nil {
		t.Fatal(err)
	}
	for _, v := range log.Violations() {
		t.Error(v)
	}
	if n := log.Count(key); n != int(sent.Load()) {
		t.Errorf("%d of %d messages a→b delivered", n, sent.Load())
	}
	for _, ev := range a.events.since(from) {
		if ev.WireID == conn.ID() && ev.Kind == transport.EventWireStateChanged && ev.State != transport.WireReady {
			t.Errorf("the a→b WebRTC wire changed state during the outage: %s", ev)
		}
	}
	if c2, ok := a.co.Conn(b.id); !ok || c2.ID() != conn.ID() {
		t.Error("the a→b WebRTC session was replaced")
	}
}
