package websocket_test

import (
	"context"
	"encoding/binary"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// starved is how long one round trip may take before the peer counts as
// starved: far beyond any latency a loaded machine explains.
const starved = 5 * time.Second

// rtts measures n round trips of a small RPC_RELIABLE message from a to
// idB and back, one at a time, each bounded by starved.
func rtts(t *testing.T, ctx context.Context, a *testNode, echoes <-chan transport.Message, n int) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n)
	for i := range n {
		ctx, cancel := context.WithTimeout(ctx, starved)
		defer cancel()
		start := time.Now()
		if err := a.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, binary.BigEndian.AppendUint32(nil, uint32(i))); err != nil {
			t.Fatalf("round trip %d: %v", i, err)
		}
		select {
		case m := <-echoes:
			if binary.BigEndian.Uint32(m.Data) != uint32(i) {
				t.Fatalf("round trip %d: echo of %d", i, binary.BigEndian.Uint32(m.Data))
			}
		case <-ctx.Done():
			t.Fatalf("round trip %d: no echo: %v", i, ctx.Err())
		}
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out
}

func pct(d []time.Duration, p float64) time.Duration { return d[int(float64(len(d)-1)*p)] }

// A hostile flood against one gate — connection attempts with forged
// credentials as fast as 8 goroutines can make them, and two
// authenticated peers pushing 1 KiB frames as fast as 8 goroutines can —
// does not starve a well-behaved peer: every one of its round trips
// completes, and its latency during the flood is reported against the
// same measurement before it.
func TestFloodDoesNotStarveWellBehavedPeer(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	var b *testNode
	b = w.node(t, idB, nodeOpts{maxPerIP: -1, handler: transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if m.From == idA { // the flooders get no replies
			_ = b.mgr.Send(ctx, transport.Actor(m.From), m.Type, m.Data)
		}
	})})
	echoes := make(chan transport.Message, 1)
	a := w.node(t, idA, nodeOpts{noListen: true, handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { echoes <- m })})
	const rounds = 300
	rtts(t, ctx, a, echoes, 20) // connect and warm up
	quiet := rtts(t, ctx, a, echoes, rounds)

	forger, err := auth.GenerateIssuer(7) // the gate's key id, another key
	if err != nil {
		t.Fatal(err)
	}
	url := b.server.URL("/actr/" + idB.String())
	var (
		stop            atomic.Bool
		wg              sync.WaitGroup
		forgedDials     atomic.Uint64
		floodFrames     atomic.Uint64
		floodersStarted sync.WaitGroup
	)
	for i := range 8 {
		mallory := protocol.ActorID{Realm: 1, Serial: uint64(900 + i), Manufacturer: "acme", Name: "mallory"}
		cred, _, err := forger.Issue(mallory, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		d := &websocket.Dialer{Local: mallory, Credential: websocket.StaticCredential(cred)}
		wg.Go(func() {
			for !stop.Load() {
				if d.Conn(url, idB, nil).Connect(ctx) == nil {
					t.Error("a forged credential was accepted")
					return
				}
				forgedDials.Add(1)
			}
		})
	}
	for i := range 2 {
		id := protocol.ActorID{Realm: 1, Serial: uint64(800 + i), Manufacturer: "acme", Name: "flooder"}
		f := w.node(t, id, nodeOpts{noListen: true})
		floodersStarted.Add(4)
		for range 4 {
			wg.Go(func() {
				payload := make([]byte, 1024)
				floodersStarted.Done()
				for !stop.Load() {
					if err := f.mgr.Send(ctx, transport.Actor(idB), protocol.StreamReliable, payload); err != nil {
						if ctx.Err() == nil {
							t.Errorf("flooder: %v", err)
						}
						return
					}
					floodFrames.Add(1)
				}
			})
		}
	}
	floodersStarted.Wait()
	flood := rtts(t, ctx, a, echoes, rounds)
	stop.Store(true)
	wg.Wait()

	gc := b.gate.Counters()
	t.Logf("well-behaved RTT quiet p50 %v p99 %v; during the flood p50 %v p99 %v max %v (p99 ×%.1f); the flood: %d forged-credential dials (gate refused %d), %d × 1 KiB frames from 2 peers",
		pct(quiet, .5), pct(quiet, .99), pct(flood, .5), pct(flood, .99), flood[len(flood)-1],
		float64(pct(flood, .99))/float64(pct(quiet, .99)), forgedDials.Load(), gc.RejectedAuth.Load(), floodFrames.Load())
	if gc.RejectedAuth.Load() == 0 || floodFrames.Load() == 0 {
		t.Fatal("the flood did not reach the gate")
	}
}
