package webrtc_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

func TestEveryPayloadTypeBothWays(t *testing.T) {
	ctx := guard(t)
	url := startSignaling(t)
	a := newNode(t, ctx, url, nodeOpts{})
	b := newNode(t, ctx, url, nodeOpts{})

	for i, pt := range protocol.DataPayloadTypes() {
		msg := []byte(fmt.Sprintf("a→b %s", pt))
		if err := a.mgr.Send(ctx, transport.Actor(b.id), pt, msg); err != nil {
			t.Fatalf("a→b %s: %v", pt, err)
		}
		got := b.in.wait(t, ctx, i+1)[i]
		if got.Type != pt || got.From != a.id || got.Wire != transport.WireWebRTC || !bytes.Equal(got.Data, msg) {
			t.Fatalf("b got %+v, want %q on %s over webrtc from %s", got, msg, pt, a.id)
		}
	}
	// b answers over the connection a started (adopted on b's side).
	for i, pt := range protocol.DataPayloadTypes() {
		msg := []byte(fmt.Sprintf("b→a %s", pt))
		if err := b.mgr.Send(ctx, transport.Actor(a.id), pt, msg); err != nil {
			t.Fatalf("b→a %s: %v", pt, err)
		}
		got := a.in.wait(t, ctx, i+1)[i]
		if got.Type != pt || got.From != b.id || got.Wire != transport.WireWebRTC || !bytes.Equal(got.Data, msg) {
			t.Fatalf("a got %+v, want %q on %s over webrtc from %s", got, msg, pt, b.id)
		}
	}
	if n := a.co.Sessions() + b.co.Sessions(); n != 2 {
		t.Fatalf("%d sessions in all, want one per side", n)
	}
	if got := a.co.Counters().Sessions.Load() + b.co.Counters().Sessions.Load(); got != 2 {
		t.Fatalf("%d PeerConnections created, want 2", got)
	}
}
