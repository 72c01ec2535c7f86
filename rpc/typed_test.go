package rpc_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/rpc/echopb"
)

// The generated client and server: NewEchoClient(ep.Conn(peer)).Say, on
// the route key package.Service.Method.
func TestGeneratedEchoService(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	echopb.RegisterEchoServer(b, echopb.Service{})
	if echopb.Echo_Say_Route != "echo.Echo.Say" {
		t.Fatalf("route %q", echopb.Echo_Say_Route)
	}
	resp, err := echopb.NewEchoClient(a.Conn(bob)).Say(ctx, &echopb.SayRequest{Payload: []byte("hi")})
	if err != nil || string(resp.GetPayload()) != "hi" {
		t.Fatalf("Say: %v, %v", resp, err)
	}
	// The layouts match: a raw call of the encoded request is answered
	// with the same bytes.
	req, _ := proto.Marshal(&echopb.SayRequest{Payload: []byte("raw")})
	raw, err := a.Call(ctx, bob, echopb.Echo_Say_Route, req)
	if err != nil || string(raw) != string(req) {
		t.Fatalf("raw call: %x, %v", raw, err)
	}
	// A request that is not a SayRequest is refused as a bad request.
	if _, err := a.Call(ctx, bob, echopb.Echo_Say_Route, []byte{0xff}); !errors.Is(err, rpc.CodeBadRequest) {
		t.Fatalf("undecodable request: %v", err)
	}
	// A response that is not a SayResponse is a bad response for the client.
	f2 := newFabric()
	c := f2.endpoint(t, alice, rpc.Config{})
	d := f2.endpoint(t, bob, rpc.Config{})
	d.HandleFunc(echopb.Echo_Say_Route, func(context.Context, *rpc.Request) ([]byte, error) { return []byte{0xff}, nil })
	if _, err := echopb.NewEchoClient(c.Conn(bob)).Say(ctx, &echopb.SayRequest{}); !errors.Is(err, rpc.CodeBadRequest) {
		t.Fatalf("undecodable response: %v", err)
	}
}
