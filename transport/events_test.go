package transport_test

import (
	"testing"

	"github.com/actr-go/actr/transport"
)

func TestSlowSubscriberLosesEventsIsToldAndNeverBlocks(t *testing.T) {
	bus := transport.NewEventBus()
	slow := bus.Subscribe(1)
	fast := bus.Subscribe(100)
	for i := range 5 { // would block forever if Publish waited for the slow subscriber
		bus.Publish(transport.Event{Kind: transport.EventWireStateChanged, Reason: string(rune('a' + i))})
	}
	if ev := <-slow.Events(); ev.Reason != "a" || ev.Missed != 0 {
		t.Fatalf("first event: %+v", ev)
	}
	bus.Publish(transport.Event{Kind: transport.EventWireStateChanged, Reason: "f"})
	ev := <-slow.Events()
	if ev.Reason != "f" || ev.Missed != 4 {
		t.Fatalf("after lagging: %+v, want event f with Missed=4", ev)
	}
	if slow.Dropped() != 4 {
		t.Fatalf("Dropped = %d", slow.Dropped())
	}
	if len(fast.Events()) != 6 || fast.Dropped() != 0 {
		t.Fatalf("the fast subscriber got %d events, dropped %d", len(fast.Events()), fast.Dropped())
	}
	for range 6 {
		if ev := <-fast.Events(); ev.Missed != 0 || ev.Time.IsZero() {
			t.Fatalf("fast subscriber event %+v", ev)
		}
	}
	slow.Close()
	slow.Close()
	if _, ok := <-slow.Events(); ok {
		t.Fatal("closed subscription still open")
	}
	bus.Close()
	if _, ok := <-fast.Events(); ok {
		t.Fatal("bus close did not close subscriptions")
	}
	late := bus.Subscribe(1)
	if _, ok := <-late.Events(); ok {
		t.Fatal("subscription to a closed bus is open")
	}
	bus.Publish(transport.Event{}) // no-op, no panic
}
