package transport_test

import (
	"context"
	"fmt"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// Two managers on an in-memory network: alice sends, bob answers over the
// wire alice opened.
func ExampleOutprocManager() {
	ctx := context.Background()
	alice := protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "alice"}
	bob := protocol.ActorID{Realm: 1, Serial: 2, Manufacturer: "acme", Name: "bob"}
	net := transporttest.NewNetwork()

	var bobMgr *transport.OutprocManager
	bobMgr, _ = transport.NewOutprocManager(bob, transporttest.NewBuilder(net, bob),
		transport.WithHandler(transport.HandlerFunc(func(ctx context.Context, msg transport.Message) {
			_ = bobMgr.Send(ctx, transport.Actor(msg.From), msg.Type, append([]byte("hi, "), msg.Data...))
		})))
	defer bobMgr.Close()

	replies := make(chan transport.Message, 1)
	aliceMgr, _ := transport.NewOutprocManager(alice, transporttest.NewBuilder(net, alice),
		transport.WithHandler(transport.HandlerFunc(func(_ context.Context, msg transport.Message) {
			replies <- msg
		})))
	defer aliceMgr.Close()
	net.Node(alice).Serve(aliceMgr)
	net.Node(bob).Serve(bobMgr)

	if err := aliceMgr.Send(ctx, transport.Actor(bob), protocol.RPCReliable, []byte("alice")); err != nil {
		fmt.Println("send:", err)
		return
	}
	reply := <-replies
	fmt.Printf("%s from %s: %s\n", reply.Type, reply.From, reply.Data)
	// Output: RPC_RELIABLE from acme:bob@1.2: hi, alice
}

// The health checker re-dials failed wires and removes destinations whose
// wires have all died; stop it before closing the manager, or let Close stop it.
func ExampleOutprocManager_StartHealthChecker() {
	net := transporttest.NewNetwork()
	local := protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "svc"}
	mgr, _ := transport.NewOutprocManager(local, transporttest.NewBuilder(net, local))
	defer mgr.Close()
	stop := mgr.StartHealthChecker(10 * time.Second)
	defer stop()
	fmt.Println(mgr.DestCount())
	// Output: 0
}
