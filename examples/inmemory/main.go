// Command inmemory is the project's runnable demo until the actr CLI
// exists: two OutprocManagers in one process exchange messages over the
// in-memory fabric of package transporttest, and it prints what happened —
// the dial, the wires, which lane carried each message, the fallback when
// the preferred wire drops, and the managers' counters.
//
//	go run ./examples/inmemory
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo failed:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	alice := protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "alice"}
	bob := protocol.ActorID{Realm: 1, Serial: 2, Manufacturer: "acme", Name: "bob"}
	net := transporttest.NewNetwork()
	aliceWires := transporttest.NewBuilder(net, alice)
	bobWires := transporttest.NewBuilder(net, bob)

	var out sync.Mutex
	say := func(format string, args ...any) {
		out.Lock()
		defer out.Unlock()
		fmt.Printf(format+"\n", args...)
	}

	// Bob echoes every message back to its sender, on the same payload type.
	var bobMgr *transport.OutprocManager
	bobMgr, err := transport.NewOutprocManager(bob, bobWires, transport.WithHandler(transport.HandlerFunc(
		func(ctx context.Context, msg transport.Message) {
			say("  bob   <- %-20s %-9s from %s: %q", msg.Type, msg.Wire, msg.From, msg.Data)
			if err := bobMgr.Send(ctx, transport.Actor(msg.From), msg.Type, append([]byte("echo "), msg.Data...)); err != nil {
				say("  bob   reply failed: %v", err)
			}
		})))
	if err != nil {
		return err
	}
	defer bobMgr.Close()

	replies := make(chan transport.Message, 16)
	aliceMgr, err := transport.NewOutprocManager(alice, aliceWires, transport.WithHandler(transport.HandlerFunc(
		func(_ context.Context, msg transport.Message) { replies <- msg })))
	if err != nil {
		return err
	}
	defer aliceMgr.Close()
	net.Node(alice).Serve(aliceMgr)
	net.Node(bob).Serve(bobMgr)

	events := aliceMgr.Subscribe(64)
	var printer sync.WaitGroup
	printer.Go(func() {
		for ev := range events.Events() {
			say("  event %s", ev)
		}
	})
	defer printer.Wait()
	defer events.Close()

	toBob := transport.Actor(bob)
	exchange := func() error {
		for _, pt := range protocol.DataPayloadTypes() {
			if err := aliceMgr.Send(ctx, toBob, pt, []byte("hello over "+pt.String())); err != nil {
				return fmt.Errorf("alice -> bob %s: %w", pt, err)
			}
			select {
			case r := <-replies:
				say("  alice <- %-20s %-9s from %s: %q", r.Type, r.Wire, r.From, r.Data)
			case <-ctx.Done():
				return fmt.Errorf("no reply for %s: %w", pt, ctx.Err())
			}
		}
		return nil
	}

	say("alice %s and bob %s, on an in-memory network", alice, bob)
	say("\n1. alice sends every data payload type; the first Send dials bob (webrtc + websocket wires)")
	tr, err := aliceMgr.GetOrCreateTransport(ctx, toBob)
	if err != nil {
		return err
	}
	if err := waitWires(ctx, tr, 2); err != nil {
		return err
	}
	if err := exchange(); err != nil {
		return err
	}

	say("\n2. the webrtc wire drops: messages fall back to websocket, no error")
	aliceWires.Drop(toBob, transport.WireWebRTC)
	if err := exchange(); err != nil {
		return err
	}

	say("\n3. MEDIA_RTP has no data lane")
	if err := aliceMgr.Send(ctx, toBob, protocol.MediaRTP, []byte("rtp")); errors.Is(err, transport.ErrNoRoute) {
		say("  refused as expected: %v", err)
	} else {
		return fmt.Errorf("MEDIA_RTP: got %v, want ErrNoRoute", err)
	}

	a, b := aliceMgr.Stats(), bobMgr.Stats()
	say("\nsummary")
	say("  %-6s dests=%d dials=%d dial-failures=%d inbound-delivered=%d", "alice", a.Dests, a.Dials, a.DialFailures, a.Inbound.Delivered)
	say("  %-6s dests=%d dials=%d dial-failures=%d inbound-delivered=%d", "bob", b.Dests, b.Dials, b.DialFailures, b.Inbound.Delivered)
	say("  bob dialled %d times: its replies used the wires alice opened", bobWires.Builds())
	return nil
}

// waitWires waits until the transport has n ready wires.
func waitWires(ctx context.Context, tr *transport.DestTransport, n int) error {
	for {
		ready, changed := tr.Pool().Watch()
		if len(ready) >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d ready wires: %w", n, ctx.Err())
		}
	}
}
