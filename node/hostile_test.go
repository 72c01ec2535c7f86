package node_test

import (
	"bytes"
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

// The tests of this file are issue 19's H1, H2 and H11 end to end: a
// victim node that echoes, as actr node does (with a per-message
// deadline), one attacking peer, and one well-behaved peer whose round
// trips are measured while the attack goes on.

// echoTally counts, per peer, the echoes the victim started and finished.
type echoTally struct {
	mu       sync.Mutex
	entered  map[protocol.ActorID]int
	returned map[protocol.ActorID]int
}

func newEchoTally() *echoTally {
	return &echoTally{entered: map[protocol.ActorID]int{}, returned: map[protocol.ActorID]int{}}
}

func (e *echoTally) outstanding(id protocol.ActorID) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.entered[id] - e.returned[id]
}

// victimEcho echoes every message back with its own deadline, like actr
// node's handler.
func victimEcho(n **node.Node, deadline time.Duration, tally *echoTally) transport.Handler {
	return transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		tally.mu.Lock()
		tally.entered[m.From]++
		tally.mu.Unlock()
		ectx, cancel := context.WithTimeout(ctx, deadline)
		_ = (*n).Send(ectx, m.From, m.Type, m.Data)
		cancel()
		tally.mu.Lock()
		tally.returned[m.From]++
		tally.mu.Unlock()
	})
}

// roundTrips sends count messages from client to dest, one at a time, and
// returns each one's round trip. Every message must be answered with its
// own bytes; each wait is bounded by perTrip.
func roundTrips(t *testing.T, ctx context.Context, client *node.Node, replies <-chan transport.Message, dest protocol.ActorID, count int, perTrip time.Duration, before func(), after func(i int)) []time.Duration {
	t.Helper()
	var rtts []time.Duration
	for i := range count {
		data := bytes.Repeat([]byte{'.'}, 1024)
		copy(data, fmt.Sprintf("legit %d ", i))
		if before != nil {
			before()
		}
		tctx, cancel := context.WithTimeout(ctx, perTrip)
		start := time.Now()
		if err := client.Send(tctx, dest, protocol.RPCReliable, data); err != nil {
			cancel()
			t.Fatalf("legit message %d: Send: %v", i, err)
		}
		select {
		case m := <-replies:
			if !bytes.Equal(m.Data, data) {
				cancel()
				t.Fatalf("legit message %d: the echo is not the message", i)
			}
		case <-tctx.Done():
			cancel()
			t.Fatalf("legit message %d: no echo within %s while the attack went on (%d answered)", i, perTrip, len(rtts))
		}
		cancel()
		rtts = append(rtts, time.Since(start))
		if after != nil {
			after(i)
		}
	}
	return rtts
}

// pollUntil waits for cond, looking every few milliseconds: for the
// counters and gauges no event announces. ctx bounds it.
func pollUntil(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-tick.C:
		}
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

type stallCase struct {
	webrtc bool // the attacker and the legit peer reach the victim over WebRTC, else over its gate
}

func (c stallCase) peerConfig(url, gate string, name string) node.Config {
	cfg := node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: name},
		WebRTC: webrtc.Config{LoopbackOnly: true}}
	if !c.webrtc {
		cfg.DisableWebRTC, cfg.WSURLTemplate = true, gate
	}
	return cfg
}

// legitPeer starts the well-behaved peer, whose handler hands over the
// echoes it gets.
func (c stallCase) legitPeer(t *testing.T, ctx context.Context, url, gate string) (*node.Node, chan transport.Message) {
	t.Helper()
	replies := make(chan transport.Message, 1)
	cfg := c.peerConfig(url, gate, "legit")
	cfg.Handler = transport.HandlerFunc(func(_ context.Context, m transport.Message) { replies <- m })
	return start(t, ctx, cfg), replies
}

// hostileStall: the attacker sends big messages and never reads the
// echoes (its handler never returns and it keeps almost nothing queued),
// so the victim's echoes to it block once the wire's buffers are full.
// The legit peer's round trips must all be answered while an echo to the
// attacker is still stuck: it is not queued behind it.
func hostileStall(t *testing.T, c stallCase) {
	ctx := guard(t)
	url := startSignaling(t)
	tally := newEchoTally()
	var victim *node.Node
	// The echo deadline and the wires' stall detection outlast the test:
	// what frees the legit peer must be the per-peer queues, not the
	// attacker's wire being failed.
	victim = start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		WSListen: "127.0.0.1:0", WebRTC: webrtc.Config{LoopbackOnly: true, StallTimeout: time.Minute}, Handler: victimEcho(&victim, time.Minute, tally),
		WebSocket: websocket.Options{StallTimeout: time.Minute}},
		// Closing, it reports the echoes the attacker never took.
		transport.ErrUnflushed)

	stop := make(chan struct{})
	acfg := c.peerConfig(url, victim.GateURLTemplate(), "attacker")
	acfg.Handler = transport.HandlerFunc(func(ctx context.Context, _ transport.Message) {
		select {
		case <-stop:
		case <-ctx.Done():
		}
	})
	acfg.ManagerOptions = []transport.Option{transport.WithInboundLimits(transport.InboundLimits{QueueDepth: 1, PeerBytes: 1})}
	attacker := start(t, ctx, acfg)

	legit, replies := c.legitPeer(t, ctx, url, victim.GateURLTemplate())

	before := roundTrips(t, ctx, legit, replies, victim.ID(), 20, 10*time.Second, nil, nil)

	actx, cancelAttack := context.WithCancel(ctx)
	var flood sync.WaitGroup
	defer func() { cancelAttack(); close(stop); flood.Wait() }()
	big := make([]byte, 256<<10)
	flood.Go(func() {
		for actx.Err() == nil {
			_ = attacker.Send(actx, victim.ID(), protocol.RPCReliable, big)
		}
	})
	// The attack is in effect once the victim's queue for the attacker is
	// full: its handler is stuck on an echo the attacker does not read.
	pollUntil(t, ctx, "the attack to fill the victim's queue", func() bool {
		return victim.Manager().Stats().Inbound.Throttled > 0 && tally.outstanding(attacker.ID()) > 0
	})

	during := roundTrips(t, ctx, legit, replies, victim.ID(), 50, 10*time.Second, nil, nil)
	if n := tally.outstanding(attacker.ID()); n == 0 {
		t.Fatal("the echo to the attacker returned during the measurement: the legit round trips were not measured under the stall")
	}
	t.Logf("legit round trips, p50/p99: before %s/%s, during the stall %s/%s",
		percentile(before, .5), percentile(before, .99), percentile(during, .5), percentile(during, .99))
}

// H1: a WebRTC peer that stops reading while the victim echoes to it.
func TestHostileH1WebRTCPeerThatStopsReadingCostsOnlyItself(t *testing.T) {
	hostileStall(t, stallCase{webrtc: true})
}

// H2: the same over the victim's WebSocket gate.
func TestHostileH2GatePeerThatStopsReadingCostsOnlyItself(t *testing.T) {
	hostileStall(t, stallCase{webrtc: false})
}

// H11: one authenticated peer floods the victim's gate with empty messages
// (5-byte frames), each costing the victim's handler a millisecond. A
// legit peer's message must not wait behind the flood: between its Send
// and its echo, the victim handles at most a few of the attacker's
// messages (each round trip takes a millisecond or less on loopback;
// queued behind the attacker's full queue of 256 it would see ~256).
func TestHostileH11FloodingPeerDoesNotDelayOthers(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	var attackerID atomic.Pointer[protocol.ActorID]
	var handled atomic.Int64
	var victim *node.Node
	echoLegit := victimEcho(&victim, 10*time.Second, newEchoTally())
	victim = start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		WSListen: "127.0.0.1:0", DisableWebRTC: true,
		Handler: transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
			if a := attackerID.Load(); a != nil && m.From == *a {
				time.Sleep(time.Millisecond) // the cost of handling one message
				handled.Add(1)
				return
			}
			echoLegit.ServeMessage(ctx, m)
		})})
	c := stallCase{webrtc: false}
	attacker := start(t, ctx, c.peerConfig(url, victim.GateURLTemplate(), "attacker"))
	id := attacker.ID()
	attackerID.Store(&id)
	legit, replies := c.legitPeer(t, ctx, url, victim.GateURLTemplate())
	before := roundTrips(t, ctx, legit, replies, victim.ID(), 20, 10*time.Second, nil, nil)

	actx, cancelAttack := context.WithCancel(ctx)
	var flood sync.WaitGroup
	defer func() { cancelAttack(); flood.Wait() }()
	flood.Go(func() {
		for actx.Err() == nil {
			_ = attacker.Send(actx, victim.ID(), protocol.RPCReliable, nil)
		}
	})
	pollUntil(t, ctx, "the flood to fill the victim's queue for the attacker", func() bool {
		return victim.Manager().Stats().Inbound.Throttled > 0
	})
	var mark int64
	var worst int64
	during := roundTrips(t, ctx, legit, replies, victim.ID(), 50, 10*time.Second,
		func() { mark = handled.Load() },
		func(int) { worst = max(worst, handled.Load()-mark) })
	const bound = 32
	if worst > bound {
		t.Fatalf("a legit round trip waited while the victim handled %d of the attacker's messages (bound %d): it was queued behind the flood", worst, bound)
	}
	t.Logf("legit round trips, p50/p99: before %s/%s, during the flood %s/%s; at most %d attacker messages handled during one",
		percentile(before, .5), percentile(before, .99), percentile(during, .5), percentile(during, .99), worst)
	// Let the victim work off the flood before the nodes close, so that
	// the attacker's close finds the victim reading.
	cancelAttack()
	flood.Wait()
	pollUntil(t, ctx, "the victim to work off the flood", func() bool { return victim.Manager().Stats().Inbound.Peers == 0 })
}

// H8: strangers, each registered, start a role negotiation with the victim
// node; the server makes the victim the offerer of every one, so each
// would cost it a PeerConnection. A peer connected before the attack keeps
// every round trip answered; the victim's sessions being set up stay
// within its cap; its signaling connection is never cut for the answers
// it sends; and once the setup deadline has passed, its goroutines are
// back where they were.
func TestHostileH8StrangersNegotiatingDoNotStarveTheNode(t *testing.T) {
	ctx := guard(t)
	const strangers, setupCap, setupDeadline = 300, 16, 8 * time.Second
	url := signalingtest.Start(t, signaling.ServerConfig{Limits: signaling.Limits{
		MaxConnsPerAddr: 2 * strangers, RegisterBurst: 2 * strangers, RegisterRate: strangers}}).URL
	var victim *node.Node
	victim = start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"},
		WebRTC:  webrtc.Config{LoopbackOnly: true, MaxInboundSetups: setupCap, InboundSetupTimeout: 2 * time.Second},
		Handler: victimEcho(&victim, 5*time.Second, newEchoTally())})
	replies := make(chan transport.Message, 1)
	legit := start(t, ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "legit"},
		WebRTC:  webrtc.Config{LoopbackOnly: true},
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { replies <- m })})
	before := roundTrips(t, ctx, legit, replies, victim.ID(), 20, 10*time.Second, nil, nil)
	baseline := runtime.NumGoroutine()

	var clients []*signaling.Client
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	for i := range strangers {
		// Answer-only, so that the server makes the victim offer to every
		// one of them, whichever ids they have.
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "stranger"}, AnswerOnly: true})
		if err != nil {
			t.Fatalf("stranger %d: %v", i, err)
		}
		clients = append(clients, c)
	}
	var negotiations sync.WaitGroup
	for _, c := range clients {
		negotiations.Go(func() {
			nctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			_, _ = c.NegotiateRole(nctx, victim.ID())
		})
	}
	during := roundTrips(t, ctx, legit, replies, victim.ID(), 50, 10*time.Second, nil, func(int) {
		if n := victim.Coordinator().InboundSetups(); n > setupCap {
			t.Errorf("%d inbound sessions being set up, over the cap of %d", n, setupCap)
		}
	})
	negotiations.Wait()
	// A peer new to the victim, during the attack: the strangers' setups
	// fill the cap, until their deadline if nothing else frees them.
	freshReplies := make(chan transport.Message, 1)
	// Fresh registered last, so under actr's rule it offers: the victim's
	// session with it takes one of the places the strangers fill.
	fresh, err := node.Start(ctx, node.Config{SignalingURL: url, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "fresh"},
		WebRTC: webrtc.Config{LoopbackOnly: true}, ManagerOptions: []transport.Option{transport.WithBackoff(transport.Backoff{Attempts: 20, Initial: 100 * time.Millisecond, Max: 500 * time.Millisecond})},
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { freshReplies <- m })})
	if err != nil {
		t.Fatal(err)
	}
	freshStart := time.Now()
	roundTrips(t, ctx, fresh, freshReplies, victim.ID(), 1, 10*time.Second, nil, nil)
	freshTook := time.Since(freshStart)
	if err := fresh.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// It must not have waited for the strangers' deadline: refused while
	// every place is young, and not told (the victim's refusals are
	// rate-limited), it gives up waiting for an answer after
	// webrtc.Config.OfferTimeout (3 s) and retries; by then a place is free, or one is past
	// InboundSetupEvictAge (1 s) and goes to it.
	if freshTook >= setupDeadline {
		t.Errorf("a new peer took %s to get through, as long as the strangers' setup deadline (%s): it waited for their places", freshTook, setupDeadline)
	}
	refused := victim.Coordinator().Counters().SetupsRefused.Load()
	if refused == 0 {
		t.Fatalf("no negotiation refused with %d strangers and a cap of %d", strangers, setupCap)
	}
	if !victim.Signaling().Connected() {
		t.Fatal("the victim's signaling connection was cut during the attack")
	}
	for _, c := range clients {
		_ = c.Close()
	}
	clients = nil
	// The held setups end (at their deadline, or given up to newcomers);
	// the goroutines they cost go.
	pollUntil(t, ctx, fmt.Sprintf("the held setups to end and goroutines to return to %d", baseline), func() bool {
		return victim.Coordinator().InboundSetups() == 0 && runtime.NumGoroutine() <= baseline+32
	})
	after := roundTrips(t, ctx, legit, replies, victim.ID(), 20, 10*time.Second, nil, nil)
	t.Logf("legit round trips p50/p99: before %s/%s, during %s/%s, after %s/%s; refused %d, evicted %d; a new peer's first round trip during the attack %s",
		percentile(before, .5), percentile(before, .99), percentile(during, .5), percentile(during, .99),
		percentile(after, .5), percentile(after, .99), refused, victim.Coordinator().Counters().SetupsEvicted.Load(), freshTook)
}
