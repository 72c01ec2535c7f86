package signaling_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// An embedded server, and two actors that find each other through it and
// relay a WebRTC ICE candidate.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	iss, err := auth.GenerateIssuer(1) // key id 1; save it with auth.SavePrivateKey to keep ids across restarts
	if err != nil {
		log.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{
		Issuer: iss,
		Realms: map[uint32]signaling.RegistrationPolicy{7: {Open: true}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()

	echo := signaling.ActorType{Manufacturer: "acme", Name: "echo", Version: "1.0"}
	alice, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ln.URL(), Realm: 7,
		Type: signaling.ActorType{Manufacturer: "acme", Name: "caller", Version: "1.0"}})
	if err != nil {
		log.Fatal(err)
	}
	defer alice.Close()
	if err := alice.Subscribe(ctx, echo); err != nil {
		log.Fatal(err)
	}

	bob, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ln.URL(), Realm: 7, Type: echo})
	if err != nil {
		log.Fatal(err)
	}
	defer bob.Close()

	up := <-alice.Presence()
	fmt.Println("alice saw", signaling.TypeOf(up.Actor), "up:", up.Up)

	cand := &protocol.IceCandidate{Candidate: proto.String("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host")}
	if err := alice.SendIceCandidate(up.Actor, cand); err != nil {
		log.Fatal(err)
	}
	r := <-bob.Relays()
	fmt.Println("bob got a candidate from", signaling.TypeOf(r.From), "same actor:", r.From == alice.ID())
	// Output:
	// alice saw acme:echo:1.0 up: true
	// bob got a candidate from acme:caller:1.0 same actor: true
}
