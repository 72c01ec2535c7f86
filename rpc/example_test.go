package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// endpointOn starts an endpoint on an OutprocManager of the in-memory
// network (with a node: rpc.StartNode).
func endpointOn(net *transporttest.Network, id protocol.ActorID) (*rpc.Endpoint, func()) {
	e := rpc.New(rpc.Config{})
	m, err := transport.NewOutprocManager(id, transporttest.NewBuilder(net, id), transport.WithHandler(e))
	if err != nil {
		log.Fatal(err)
	}
	e.Bind(rpc.ManagerSender(m))
	net.Node(id).Serve(m)
	return e, func() { _ = m.Close(); _ = e.Close() }
}

// A server registers a route; a client calls it and gets its answer, or
// its error.
func Example() {
	net := transporttest.NewNetwork()
	server, stop := endpointOn(net, bob)
	defer stop()
	client, stopClient := endpointOn(net, alice)
	defer stopClient()

	server.HandleFunc("acme.Greeter.Hello", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		if len(req.Payload) == 0 {
			return nil, rpc.Errorf(rpc.CodeBadRequest, "say who you are")
		}
		caller, _ := rpc.CallerFrom(ctx)
		return fmt.Appendf(nil, "hello %s, from %s", req.Payload, caller.Name), nil
	})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := client.Call(ctx, bob, "acme.Greeter.Hello", []byte("Alice"))
	fmt.Println(string(resp), err)

	_, err = client.Call(ctx, bob, "acme.Greeter.Hello", nil)
	var re *rpc.Error
	fmt.Println(errors.As(err, &re), uint32(re.Code), re.Message)
	_, err = client.Call(ctx, bob, "acme.Greeter.Bye", nil)
	fmt.Println(errors.Is(err, rpc.CodeUnknownRoute))
	// Output:
	// hello Alice, from alice <nil>
	// true 400 say who you are
	// true
}

// A handler that answers later, from another goroutine.
func ExampleRequest_Later() {
	net := transporttest.NewNetwork()
	server, stop := endpointOn(net, bob)
	defer stop()
	client, stopClient := endpointOn(net, alice)
	defer stopClient()

	jobs := make(chan *rpc.Responder, 1)
	server.HandleFunc("acme.Queue.Run", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		jobs <- req.Later()
		return nil, nil // ignored: the Responder answers
	})
	go func() {
		r := <-jobs
		_ = r.Reply([]byte("done"))
	}()

	resp, err := client.Call(context.Background(), bob, "acme.Queue.Run", nil)
	fmt.Println(string(resp), err)
	// Output: done <nil>
}
