package webrtc_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/webrtc"
)

// Two nodes reach each other over a WebRTC DataChannel, set up through an
// embedded signaling server, with nothing but OutprocManager.Send.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

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

	// node registers with the signaling server and wires a manager to a
	// Coordinator; got receives what its handler is given.
	node := func(name string, got chan<- transport.Message) (*transport.OutprocManager, func()) {
		sig, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ln.URL(), Realm: 1,
			Type: signaling.ActorType{Manufacturer: "acme", Name: name}})
		if err != nil {
			log.Fatal(err)
		}
		co, err := webrtc.NewCoordinator(sig, webrtc.Config{LoopbackOnly: true})
		if err != nil {
			log.Fatal(err)
		}
		b, err := wire.NewDefaultWireBuilder(wire.Config{WebRTC: wire.WebRTCConfig{Enabled: true, Coordinator: co}})
		if err != nil {
			log.Fatal(err)
		}
		m, err := transport.NewOutprocManager(sig.ID(), b, transport.WithHandler(transport.HandlerFunc(
			func(_ context.Context, msg transport.Message) { got <- msg })))
		if err != nil {
			log.Fatal(err)
		}
		co.Accept(m) // take the PeerConnections peers start
		return m, func() { m.Close(); co.Close(); sig.Close() }
	}
	inbox := make(chan transport.Message, 1)
	alice, closeAlice := node("alice", make(chan transport.Message, 1))
	defer closeAlice()
	bob, closeBob := node("bob", inbox)
	defer closeBob()

	if err := alice.Send(ctx, transport.Actor(bob.LocalID()), protocol.RPCReliable, []byte("hello over WebRTC")); err != nil {
		log.Fatal(err)
	}
	msg := <-inbox
	fmt.Printf("%s from %s over %s\n", msg.Data, msg.From.Name, msg.Wire)
	// Output: hello over WebRTC from alice over webrtc
}
