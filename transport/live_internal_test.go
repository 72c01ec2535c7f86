package transport

import (
	"testing"

	"github.com/actr-go/actr/protocol"
)

// Dests that share a realm and serial share a bucket of the live index;
// each must still find its own transport, and removing one must leave the
// others.
func TestLiveIndexSharedBucket(t *testing.T) {
	a := Actor(protocol.ActorID{Realm: 1, Serial: 7, Manufacturer: "acme", Name: "echo"})
	b := Actor(protocol.ActorID{Realm: 1, Serial: 7, Manufacturer: "acme", Name: "other"})
	c := Actor(protocol.ActorID{Realm: 2, Serial: 7, Manufacturer: "acme", Name: "echo"})
	if liveKeyOf(a) != liveKeyOf(b) || liveKeyOf(a) == liveKeyOf(c) {
		t.Fatal("test dests do not share (only) the intended key")
	}
	ta, tb, tb2, tc := &DestTransport{}, &DestTransport{}, &DestTransport{}, &DestTransport{}
	var x liveIndex
	x.set(a, ta)
	x.set(b, tb)
	x.set(c, tc)
	want := func(d Dest, tr *DestTransport) {
		t.Helper()
		if got := x.load(d); got != tr {
			t.Fatalf("load(%v) = %p, want %p", d, got, tr)
		}
	}
	want(a, ta)
	want(b, tb)
	want(c, tc)
	x.set(b, tb2) // replace in a shared bucket
	want(a, ta)
	want(b, tb2)
	x.set(a, nil)
	want(a, nil)
	want(b, tb2)
	x.set(a, nil) // removing an absent dest is a no-op
	x.set(b, nil)
	want(b, nil)
	want(c, tc)
	if _, ok := x.m.Load(liveKeyOf(a)); ok {
		t.Fatal("an empty bucket was kept")
	}
	x.clear()
	want(c, nil)
}
