package websocket_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// BenchmarkIdleMemoryPerDest measures what an idle WebSocket destination
// costs, both ends counted: 1,000 client nodes each connect to one
// server node (which adopts 1,000 connections), then everything idles.
// The managers exist before the measurement starts, so the figure is the
// transports, pools, wires, connections and their goroutines alone.
// Reported: heap+stack bytes and goroutines per destination (goal
// <= 64 KiB, issue 7). One op is the whole run; use -benchtime 1x.
func BenchmarkIdleMemoryPerDest(b *testing.B) {
	const dests = 1000
	for range b.N {
		b.StopTimer()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		w := newWorld(b)
		// Every client connects from 127.0.0.1: no per-address limit here.
		server := w.node(b, idB, nodeOpts{maxConns: 2 * dests, maxPerIP: -1,
			handler: transport.HandlerFunc(func(context.Context, transport.Message) {})})
		clients := make([]*testNode, dests)
		for i := range clients {
			id := protocol.ActorID{Realm: 1, Serial: uint64(1000 + i), Manufacturer: "acme", Name: "client"}
			clients[i] = w.node(b, id, nodeOpts{noListen: true})
		}
		sub := server.mgr.Subscribe(8 * dests) // a few events per connection; none may be missed
		before, gBefore := settledMemory()
		b.StartTimer()
		for _, c := range clients {
			if err := c.mgr.Send(ctx, transport.Actor(idB), protocol.RPCReliable, []byte("hi")); err != nil {
				b.Fatal(err)
			}
		}
		// The server adopts each connection just after the client sees
		// it ready: wait for the last adoption.
		for adopted := 0; adopted < dests; {
			select {
			case ev := <-sub.Events():
				if ev.Kind == transport.EventWireAdopted {
					adopted++
				}
			case <-ctx.Done():
				b.Fatalf("the server adopted %d of %d connections", adopted, dests)
			}
		}
		b.StopTimer()
		sub.Close()
		after, gAfter := settledMemory()
		b.ReportMetric(float64(after-before)/dests, "B/dest")
		b.ReportMetric(float64(gAfter-gBefore)/dests, "goroutines/dest")
		cancel()
	}
}

// settledMemory returns heap and stack bytes in use, and the number of
// goroutines, after garbage collection.
func settledMemory() (uint64, int) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse + ms.StackInuse, runtime.NumGoroutine()
}
