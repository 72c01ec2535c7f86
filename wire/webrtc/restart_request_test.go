package webrtc

import (
	"context"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
)

// An answerer's ice_restart_request makes its offerer restart ICE, and the
// session carries on; an offerer asked by its own answerer twice while
// restarting restarts once; a request to an answerer is stale.
func TestIceRestartRequestMakesTheOffererRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	aIn, bIn := newRecorder(), newRecorder()
	a := newHubNode(t, hub, "acme:a@1.1", hostileConfig(), aIn) // the smaller id: a offers
	b := newHubNode(t, hub, "acme:b@1.2", hostileConfig(), bIn)
	toB := a.dial(t, ctx, b.id, newRecorder())

	_ = b.sig.SendIceRestartRequest(a.id, "test")
	_ = b.sig.SendIceRestartRequest(a.id, "test again")
	tick := time.NewTicker(5 * time.Millisecond) // polling counters: the restart has no event without a bus
	defer tick.Stop()
	for a.co.counters.ICERestartsCompleted.Load() == 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the offerer never completed an ICE restart (started %d)", a.co.counters.ICERestarts.Load())
		}
	}
	if n := a.co.counters.ICERestarts.Load(); n != 1 {
		t.Fatalf("%d ICE restarts for two requests during one restart, want 1", n)
	}
	lane, err := toB.Lane(protocol.PayloadType_RPC_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	if err := lane.Send(ctx, []byte("after")); err != nil {
		t.Fatalf("Send after the restart: %v", err)
	}
	if _, err := bIn.next(ctx, 5*time.Second); err != nil {
		t.Fatalf("the message after the restart: %v", err)
	}

	stale := b.co.counters.StaleSignals.Load()
	_ = a.sig.SendIceRestartRequest(b.id, "to the answerer")
	for b.co.counters.StaleSignals.Load() == stale {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatal("a restart request to the answerer was not counted stale")
		}
	}
	if n := b.co.counters.ICERestarts.Load(); n != 0 {
		t.Fatalf("the answerer started %d ICE restarts", n)
	}
}

// An answerer that sees its connection fail asks its offerer to restart
// ICE (actr's ice_restart_request), once until it is connected again; the
// offerer, which saw nothing (a one-way failure), restarts at once.
func TestAnswererAsksForARestartWhenItsConnectionFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	hub := newPipeHub()
	aIn, bIn := newRecorder(), newRecorder()
	a := newHubNode(t, hub, "acme:a@1.1", hostileConfig(), aIn)
	b := newHubNode(t, hub, "acme:b@1.2", hostileConfig(), bIn)
	toB := a.dial(t, ctx, b.id, newRecorder())
	offerer, answerer := a, b
	if s := a.co.current(b.id); s == nil || s.role != roleOfferer {
		offerer, answerer = b, a
	}
	s := answerer.co.current(offerer.id)
	if s == nil {
		t.Fatal("the answerer has no session")
	}
	tick := time.NewTicker(5 * time.Millisecond) // polling: the hub nodes have no event bus
	defer tick.Stop()
	for ready := false; !ready; {
		done := make(chan bool, 1)
		s.post(func() { done <- s.everReady })
		if ready = <-done; !ready {
			select {
			case <-tick.C:
			case <-ctx.Done():
				t.Fatal("the answerer's session never got ready")
			}
		}
	}
	// The answerer's side fails (its network went); the offerer's is fine.
	s.post(func() { s.stateChanged(pion.PeerConnectionStateFailed) })
	s.post(func() { s.stateChanged(pion.PeerConnectionStateFailed) })
	for offerer.co.counters.ICERestartsCompleted.Load() == 0 {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the offerer never completed an ICE restart (requests sent %d, restarts started %d)",
				answerer.co.counters.RestartRequestsSent.Load(), offerer.co.counters.ICERestarts.Load())
		}
	}
	if n := answerer.co.counters.RestartRequestsSent.Load(); n != 1 {
		t.Fatalf("the answerer sent %d restart requests for one failure, want 1", n)
	}
	lane, err := toB.Lane(protocol.PayloadType_RPC_RELIABLE)
	if err != nil {
		t.Fatal(err)
	}
	if err := lane.Send(ctx, []byte("after")); err != nil {
		t.Fatalf("Send after the restart: %v", err)
	}
	if _, err := bIn.next(ctx, 5*time.Second); err != nil {
		t.Fatalf("the message after the restart: %v", err)
	}
}
