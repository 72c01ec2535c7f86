package transport_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// BenchmarkInboundDeliver measures a message's way from wires' Deliver to
// the Handler: one peer's reader, and 16 peers' readers at once.
func BenchmarkInboundDeliver(b *testing.B) {
	for _, peers := range []int{1, 16} {
		b.Run(fmt.Sprintf("peers=%d", peers), func(b *testing.B) {
			var served atomic.Int64
			done := make(chan struct{})
			total := int64(b.N / peers * peers)
			h := transport.HandlerFunc(func(context.Context, transport.Message) {
				if served.Add(1) == total {
					close(done)
				}
			})
			m, err := transport.NewOutprocManager(localID, transporttest.NewBuilder(transporttest.NewNetwork(), localID), transport.WithHandler(h))
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			in := m.Inbound()
			data := make([]byte, 64)
			ctx := context.Background()
			b.ResetTimer()
			var wg sync.WaitGroup
			for p := range peers {
				id := protocol.ActorID{Realm: 1, Serial: uint64(p + 1), Manufacturer: "acme", Name: "bench"}
				wg.Go(func() {
					for range b.N / peers {
						if err := in.Deliver(ctx, transport.Message{From: id, Type: protocol.RPCReliable, Data: data}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			if total > 0 {
				<-done
			}
		})
	}
}
