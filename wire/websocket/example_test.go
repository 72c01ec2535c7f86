package websocket_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire"
	"github.com/actr-go/actr/wire/websocket"
)

// A server actor behind a gate, and a client actor that reaches it with
// OutprocManager.Send; the server's reply travels back on the client's
// connection.
func Example() {
	ctx := context.Background()
	issuer, _ := auth.GenerateIssuer(1) // in production: the signaling server's key
	server := protocol.MustParseActorID("acme:echo@1.2")
	client := protocol.MustParseActorID("acme:app@1.1")

	// The server: a manager whose gate checks callers' credentials.
	var srvMgr *transport.OutprocManager
	echo := transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		_ = srvMgr.Send(ctx, transport.Actor(m.From), m.Type, append([]byte("echo: "), m.Data...))
	})
	srvBuilder, _ := wire.NewDefaultWireBuilder(wire.Config{WebSocket: wire.WebSocketConfig{
		Enabled: true, URLTemplate: "ws://unused/{actor_id}", Dialer: &websocket.Dialer{Local: server}}})
	srvMgr, _ = transport.NewOutprocManager(server, srvBuilder, transport.WithHandler(echo))
	defer srvMgr.Close()
	gate, _ := websocket.NewGate(websocket.GateConfig{
		Acceptor: srvMgr,
		Verifier: auth.NewVerifier(map[uint32]ed25519.PublicKey{1: issuer.PublicKey()}),
	})
	ln, err := gate.Listen("127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()

	// The client: dials peers at a URL template, presenting its credential,
	// bound to its own key, and a proof of possession of that key made for
	// the gate it dials (which nobody who sees it can use elsewhere).
	holderPub, holderKey, _ := ed25519.GenerateKey(nil)
	cred, _, _ := issuer.IssueBoundAt(client, holderPub, time.Now(), time.Hour)
	prove := func(_ context.Context, audience string) (*protocol.AIdCredential, *protocol.ProofOfPossession, error) {
		p, err := auth.Prove(holderKey, cred, client, audience, time.Now())
		return cred, p, err
	}
	replies := make(chan transport.Message, 1)
	builder, _ := wire.NewDefaultWireBuilder(wire.Config{WebSocket: wire.WebSocketConfig{
		Enabled:     true,
		URLTemplate: ln.URL("/actr/{actor_id}"),
		Dialer:      &websocket.Dialer{Local: client, Prove: prove},
	}})
	mgr, _ := transport.NewOutprocManager(client, builder,
		transport.WithHandler(transport.HandlerFunc(func(_ context.Context, m transport.Message) { replies <- m })))
	defer mgr.Close()

	if err := mgr.Send(ctx, transport.Actor(server), protocol.RPCReliable, []byte("hi")); err != nil {
		panic(err)
	}
	m := <-replies
	fmt.Printf("%s from %s over %s\n", m.Data, m.From, m.Wire)
	// Output: echo: hi from acme:echo@1.2 over websocket
}
