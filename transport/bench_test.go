package transport_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// noopWire is always ready and whose lanes accept everything: it isolates
// the cost of the manager and transport layers.
type noopWire struct {
	id   transport.WireID
	kind transport.WireKind
	done chan struct{}
	once sync.Once
}

type noopLane struct{}

func (noopLane) Send(context.Context, []byte) error { return nil }

func (w *noopWire) Kind() transport.WireKind                          { return w.kind }
func (w *noopWire) ID() transport.WireID                              { return w.id }
func (w *noopWire) Connect(context.Context) error                     { return nil }
func (w *noopWire) Ready() bool                                       { return true }
func (w *noopWire) Lane(protocol.PayloadType) (transport.Lane, error) { return noopLane{}, nil }
func (w *noopWire) Done() <-chan struct{}                             { return w.done }
func (w *noopWire) Close() error                                      { w.once.Do(func() { close(w.done) }); return nil }

var noopBuilder = transport.WireBuilderFunc(func(context.Context, transport.BuildRequest) ([]transport.Wire, error) {
	return []transport.Wire{
		&noopWire{id: transport.NewWireID(), kind: transport.WireWebRTC, done: make(chan struct{})},
		&noopWire{id: transport.NewWireID(), kind: transport.WireWebSocket, done: make(chan struct{})},
	}, nil
})

func connectedNoop(b *testing.B) (*transport.OutprocManager, transport.Dest) {
	m, err := transport.NewOutprocManager(localID, noopBuilder)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	dest := actor(1)
	tr, err := m.GetOrCreateTransport(context.Background(), dest)
	if err != nil {
		b.Fatal(err)
	}
	if err := tr.Pool().WaitReady(context.Background()); err != nil {
		b.Fatal(err)
	}
	return m, dest
}

// BenchmarkSend measures OutprocManager.Send to a connected destination
// over a no-op wire: the manager and transport layers alone.
func BenchmarkSend(b *testing.B) {
	data := make([]byte, 64)
	b.Run("serial", func(b *testing.B) {
		m, dest := connectedNoop(b)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := m.Send(ctx, dest, protocol.RPCReliable, data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("random-of-10000", func(b *testing.B) {
		m, dests := connectedNoopMany(b, 10000)
		ctx := context.Background()
		order := randomOrder(len(dests))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := m.Send(ctx, dests[order[i]], protocol.RPCReliable, data); err != nil {
				b.Fatal(err)
			}
			i = (i + 1) % len(order)
		}
	})
	b.Run("parallel", func(b *testing.B) {
		m, dest := connectedNoop(b)
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := m.Send(ctx, dest, protocol.RPCReliable, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

// connectedNoopMany returns a manager connected to n destinations over
// no-op wires.
func connectedNoopMany(b *testing.B, n int) (*transport.OutprocManager, []transport.Dest) {
	m, err := transport.NewOutprocManager(localID, noopBuilder)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = m.Close() })
	dests := make([]transport.Dest, n)
	for i := range dests {
		dests[i] = actor(1 + i)
		tr, err := m.GetOrCreateTransport(context.Background(), dests[i])
		if err != nil {
			b.Fatal(err)
		}
		if err := tr.Pool().WaitReady(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	return m, dests
}

// randomOrder is 1<<20 indexes below n, drawn from a fixed seed: the
// order in which the many-dest benchmarks visit their destinations, the
// same for actr and the baseline.
func randomOrder(n int) []int {
	rng := rand.New(rand.NewPCG(1, 2))
	order := make([]int, 1<<20)
	for i := range order {
		order[i] = rng.IntN(n)
	}
	return order
}

// BenchmarkBaselineMapLookup is the bare baseline for BenchmarkSend: a
// read-locked map lookup keyed by the same Dest.
func BenchmarkBaselineMapLookup(b *testing.B) {
	var mu sync.RWMutex
	m := map[transport.Dest]*int{actor(1): new(int)}
	dest := actor(1)
	b.Run("random-of-10000", func(b *testing.B) {
		many := map[transport.Dest]*int{}
		dests := make([]transport.Dest, 10000)
		for i := range dests {
			dests[i] = actor(1 + i)
			many[dests[i]] = new(int)
		}
		order := randomOrder(len(dests))
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			mu.RLock()
			p := many[dests[order[i]]]
			mu.RUnlock()
			if p == nil {
				b.Fatal("missing")
			}
			i = (i + 1) % len(order)
		}
	})
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			mu.RLock()
			p := m[dest]
			mu.RUnlock()
			if p == nil {
				b.Fatal("missing")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.RLock()
				p := m[dest]
				mu.RUnlock()
				if p == nil {
					b.Fatal("missing")
				}
			}
		})
	})
}

// BenchmarkFirstSendStorm: 10,000 goroutines make the first Send to 1,000
// destinations at once (10 per destination, over no-op wires). Every
// destination must be dialled exactly once; one op is the whole storm.
func BenchmarkFirstSendStorm(b *testing.B) {
	const goroutines, dests = 10000, 1000
	data := make([]byte, 64)
	b.ReportAllocs()
	b.StopTimer() // only the storm is timed, not starting its goroutines
	for range b.N {
		var builds atomic.Int64
		builder := transport.WireBuilderFunc(func(ctx context.Context, req transport.BuildRequest) ([]transport.Wire, error) {
			builds.Add(1)
			return noopBuilder(ctx, req)
		})
		m, err := transport.NewOutprocManager(localID, builder)
		if err != nil {
			b.Fatal(err)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var failed atomic.Int64
		for g := range goroutines {
			wg.Go(func() {
				<-start
				if err := m.Send(context.Background(), actor(g%dests), protocol.RPCReliable, data); err != nil {
					failed.Add(1)
				}
			})
		}
		b.StartTimer()
		close(start)
		wg.Wait()
		b.StopTimer()
		if n := builds.Load(); n != dests || failed.Load() != 0 {
			b.Fatalf("%d dials for %d destinations, %d failed Sends; want exactly one dial each, none failed", n, dests, failed.Load())
		}
		_ = m.Close()
	}
	b.ReportMetric(float64(dests), "dials/op")
}
