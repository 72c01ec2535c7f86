package websocket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

// BenchmarkSendSenders is one-way throughput over one connection with 1
// and 16 concurrent senders, the clock stopped when the receiving node's
// handler has counted every message (issue 22's rows).
func BenchmarkSendSenders(b *testing.B) {
	for _, tc := range []struct {
		size, senders int
		lent          bool // the receiver borrows payloads (transport.WithLentPayloads)
	}{{64, 16, false}, {1024, 16, false}, {64 << 10, 1, false}, {64 << 10, 1, true}} {
		name := fmt.Sprintf("%dB/%dsenders", tc.size, tc.senders)
		if tc.lent {
			name += "/lent"
		}
		var mgrOpts []transport.Option
		if tc.lent {
			mgrOpts = append(mgrOpts, transport.WithLentPayloads())
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			cnt := &counter{done: make(chan struct{}, 1)}
			w := newWorld(b)
			w.node(b, idB, nodeOpts{mgrOpts: mgrOpts, handler: transport.HandlerFunc(func(context.Context, transport.Message) { cnt.add() })})
			a := w.node(b, idA, nodeOpts{noListen: true}).mgr
			dest := transport.Actor(idB)
			payload := make([]byte, tc.size)
			cnt.expect(1)
			if err := a.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
				b.Fatal(err)
			}
			<-cnt.done
			b.SetBytes(int64(tc.size))
			b.ReportAllocs()
			cnt.expect(int64(b.N))
			sw := contextSwitches()
			b.ResetTimer()
			var wg sync.WaitGroup
			for s := range tc.senders {
				n := b.N / tc.senders
				if s < b.N%tc.senders {
					n++
				}
				wg.Go(func() {
					for range n {
						if err := a.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			<-cnt.done
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(contextSwitches()-sw)/float64(b.N), "ctxsw/op")
		})
	}
}

// BenchmarkRoundTrip is a 1 KiB request and its reply, one at a time,
// between two nodes over one WebSocket connection (actr), against a bare
// coder/websocket client and echo server in the same run (bare: the
// server's reader writes the echo itself, the client reads it in the
// goroutine that wrote); it reports the medians and context switches.
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("actr", benchRoundTripActr)
	b.Run("bare", benchRoundTripBare)
}

func benchRoundTripActr(b *testing.B) {
	ctx := context.Background()
	w := newWorld(b)
	var bmgr *transport.OutprocManager
	bn := w.node(b, idB, nodeOpts{handler: transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		_ = bmgr.Send(ctx, transport.Actor(m.From), protocol.RPCReliable, m.Data)
	})})
	bmgr = bn.mgr
	got := make(chan struct{}, 1)
	a := w.node(b, idA, nodeOpts{handler: transport.HandlerFunc(func(context.Context, transport.Message) { got <- struct{}{} })}).mgr
	dest := transport.Actor(idB)
	payload := make([]byte, 1024)
	timeRoundTrips(b, func() {
		if err := a.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
			b.Fatal(err)
		}
		<-got
	})
}

func benchRoundTripBare(b *testing.B) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := cws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		for {
			typ, m, err := c.Read(ctx)
			if err != nil || c.Write(ctx, typ, m) != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, _, err := cws.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http"), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseNow()
	payload := make([]byte, 1024+websocket.HeaderSize)
	timeRoundTrips(b, func() {
		if err := c.Write(ctx, cws.MessageBinary, payload); err != nil {
			b.Fatal(err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			b.Fatal(err)
		}
	})
}

// timeRoundTrips times b.N calls of rt (after one to warm up) and reports
// the median, the 99th percentile and context switches per round trip.
func timeRoundTrips(b *testing.B, rt func()) {
	rt()
	lat := make([]time.Duration, 0, b.N)
	sw := contextSwitches()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		rt()
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(contextSwitches()-sw)/float64(b.N), "ctxsw/op")
}
