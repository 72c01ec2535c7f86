package signaling_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// relayWindow bounds the relays each sender has in flight. It keeps every
// queue on the path (the server's per-connection send queue, the clients'
// event channels, 256 each) from overflowing, so the figure measures
// sustained relaying, not how fast queues fill and drop.
const relayWindow = 64

// BenchmarkRelay measures relayed ICE candidates per second through one
// server with 50 connected actors: 25 senders, each relaying to its own
// receiver, all at once over 127.0.0.1, each with up to relayWindow relays
// in flight. A relay the server refuses (refused/op) ends its round trip
// too; with the window none should be.
func BenchmarkRelay(b *testing.B) {
	ctx := guard(b)
	ts := newServer(b, signaling.ServerConfig{RateLimit: 1e9, RateBurst: 1 << 30}, "")
	const pairs = 25
	senders := make([]*signaling.Client, pairs)
	receivers := make([]*signaling.Client, pairs)
	for i := range pairs {
		senders[i] = dial(b, ctx, ts.url, typeA, 1)
		receivers[i] = dial(b, ctx, ts.url, typeB, 1)
	}
	cand := &protocol.IceCandidate{Candidate: proto.String("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host")}
	var got, refused atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for i := range pairs {
		n := b.N / pairs
		if i < b.N%pairs {
			n++
		}
		credit := make(chan struct{}, relayWindow)
		for range relayWindow {
			credit <- struct{}{}
		}
		// The consumer returns a credit per relay delivered or refused.
		wg.Go(func() {
			for range n {
				select {
				case <-receivers[i].Relays():
					got.Add(1)
				case <-senders[i].Refusals():
					refused.Add(1)
				case <-ctx.Done():
					b.Errorf("pair %d: %v", i, ctx.Err())
					return
				}
				credit <- struct{}{}
			}
		})
		wg.Go(func() {
			for range n {
				select {
				case <-credit:
				case <-ctx.Done():
					return
				}
				if err := senders[i].SendIceCandidate(receivers[i].ID(), cand); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	for i := range pairs {
		if d := senders[i].Dropped() + receivers[i].Dropped(); d != 0 {
			b.Errorf("pair %d: %d events dropped by the clients", i, d)
		}
	}
	b.ReportMetric(float64(got.Load())/b.Elapsed().Seconds(), "relays/s")
	b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
}
