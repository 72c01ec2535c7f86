package node_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// Two nodes join a realm through a signaling server and talk: bob serves
// a WebSocket gate, alice knows where gates are and dials both wires.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// A signaling server; in production, actr signal.
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()

	got := make(chan transport.Message, 1)
	bob, err := node.Start(ctx, node.Config{
		SignalingURL: ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "bob"},
		WSListen: "127.0.0.1:0", WebRTC: webrtc.Config{LoopbackOnly: true},
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m }),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close(context.Background())

	alice, err := node.Start(ctx, node.Config{
		SignalingURL: ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "alice"},
		WSURLTemplate: bob.GateURLTemplate(), WebRTC: webrtc.Config{LoopbackOnly: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close(context.Background())

	if err := alice.Send(ctx, bob.ID(), protocol.RPCReliable, []byte("hello bob")); err != nil {
		log.Fatal(err)
	}
	m := <-got
	fmt.Printf("%s from %s\n", m.Data, m.From.Name)
	// Output: hello bob from alice
}
