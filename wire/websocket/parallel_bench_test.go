package websocket_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
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
		})
	}
}

// BenchmarkRoundTrip is a 1 KiB request and its reply between two nodes
// over one WebSocket connection, one at a time; it reports the median.
func BenchmarkRoundTrip(b *testing.B) {
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
	rt := func() {
		if err := a.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
			b.Fatal(err)
		}
		<-got
	}
	rt()
	lat := make([]time.Duration, 0, b.N)
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
}
