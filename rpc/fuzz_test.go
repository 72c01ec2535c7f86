package rpc_test

import (
	"context"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/transport"
)

// FuzzServeMessage feeds arbitrary bytes, on every lane, to an endpoint
// serving a route and waiting for a call: nothing panics, every request
// is answered or dropped, and the endpoint closes with nothing left
// running.
func FuzzServeMessage(f *testing.F) {
	req := protocol.RpcEnvelope_DIRECTION_REQUEST.Enum()
	f.Add(uint8(0), envelope(req, "r", "id", 1000))
	f.Add(uint8(1), envelope(protocol.RpcEnvelope_DIRECTION_TELL.Enum(), "r", "id", 0))
	f.Add(uint8(0), envelope(protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum(), "r", "id", 0))
	f.Add(uint8(0), envelope(nil, "r", "id", 1000))
	f.Add(uint8(0), envelope(req, "panics", "id", 1000))
	f.Add(uint8(2), chunk("s", 3))
	f.Add(uint8(3), chunk("s", 0))
	f.Add(uint8(0), []byte{0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, lane uint8, data []byte) {
		fab := newFabric()
		b := fab.endpoint(t, bob, rpc.Config{})
		a := fab.endpoint(t, alice, rpc.Config{})
		b.HandleFunc("r", echo)
		b.HandleFunc("panics", func(context.Context, *rpc.Request) ([]byte, error) { panic("fuzz") })
		b.HandleStreams(func(context.Context, rpc.Chunk) {})
		b.ServeMessage(context.Background(), transport.Message{From: alice, Type: protocol.PayloadType(lane % 6), Data: data})
		a.ServeMessage(context.Background(), transport.Message{From: bob, Type: protocol.PayloadType(lane % 6), Data: data})
		_ = b.Close()
		_ = a.Close()
		if st := b.Stats(); st.HandlersInFlight != 0 {
			t.Fatalf("handlers left: %+v", st)
		}
	})
}
