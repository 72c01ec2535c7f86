package transport

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/actr-go/actr/protocol"
)

// Dests that share a realm and serial share a hash in the live index;
// each must still find its own transport, and removing one must leave the
// others.
func TestLiveIndexSharedHash(t *testing.T) {
	a := Actor(protocol.ActorID{Realm: 1, Serial: 7, Manufacturer: "acme", Name: "echo"})
	b := Actor(protocol.ActorID{Realm: 1, Serial: 7, Manufacturer: "acme", Name: "other"})
	c := Actor(protocol.ActorID{Realm: 2, Serial: 7, Manufacturer: "acme", Name: "echo"})
	ta, tb, tb2, tc := destTransport(a), destTransport(b), destTransport(b), destTransport(c)
	var x liveIndex
	x.put(ta)
	x.put(tb)
	x.put(tc)
	if tab := x.tab.Load(); tab.hash(a) != tab.hash(b) || tab.hash(a) == tab.hash(c) {
		t.Fatal("test dests do not share (only) the intended hash")
	}
	want := func(d Dest, tr *DestTransport) {
		t.Helper()
		if got := x.load(d); got != tr {
			t.Fatalf("load(%v) = %p, want %p", d, got, tr)
		}
	}
	want(a, ta)
	want(b, tb)
	want(c, tc)
	x.put(tb2) // replace next to a dest with the same hash
	want(a, ta)
	want(b, tb2)
	x.remove(a)
	want(a, nil)
	want(b, tb2)
	x.remove(a) // removing an absent dest is a no-op
	x.remove(b)
	want(b, nil)
	want(c, tc)
	if x.live != 1 {
		t.Fatalf("%d live entries, want 1", x.live)
	}
	x.clear()
	want(c, nil)
}

// Random sets and removals, checked against a map after every step:
// growth, tombstones and their reuse must never lose or invent a dest.
// Serial numbers that are multiples of 4096 test the hash's mixing.
func TestLiveIndexMatchesMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	dests := make([]Dest, 3000)
	for i := range dests {
		serial := uint64(i)
		if i%2 == 1 {
			serial = uint64(i) << 12
		}
		dests[i] = Actor(protocol.ActorID{Realm: uint32(1 + i%3), Serial: serial, Manufacturer: "acme", Name: "t"})
	}
	var x liveIndex
	ref := map[Dest]*DestTransport{}
	check := func(step int) {
		t.Helper()
		for _, d := range dests {
			if got, want := x.load(d), ref[d]; got != want {
				t.Fatalf("step %d: load(%v) = %p, want %p", step, d, got, want)
			}
		}
		if x.live != len(ref) {
			t.Fatalf("step %d: %d live entries, want %d", step, x.live, len(ref))
		}
		if tab := x.tab.Load(); tab != nil && x.used*2 > len(tab.slots) {
			t.Fatalf("step %d: %d of %d slots used: probes may not end", step, x.used, len(tab.slots))
		}
	}
	for step := range 20000 {
		d := dests[rng.IntN(len(dests))]
		// Mostly growth first, then mostly churn.
		if rng.IntN(20000) > step || rng.IntN(2) == 0 {
			tr := destTransport(d)
			x.put(tr)
			ref[d] = tr
		} else {
			x.remove(d)
			delete(ref, d)
		}
		if step%997 == 0 {
			check(step)
		}
	}
	check(20000)
	for _, d := range dests {
		x.remove(d)
	}
	clear(ref)
	check(20001)
}

// Loads running while the index grows, shrinks its live set and reuses
// tombstones see either nothing or the dest's own transport (run with
// -race: entries are published by atomic stores only).
func TestLiveIndexConcurrentLoads(t *testing.T) {
	dests := make([]Dest, 512)
	for i := range dests {
		dests[i] = Actor(protocol.ActorID{Realm: 1, Serial: uint64(i), Manufacturer: "acme", Name: "t"})
	}
	var x liveIndex
	var stop atomic.Bool
	var wg sync.WaitGroup
	for r := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 1))
			for !stop.Load() {
				d := dests[rng.IntN(len(dests))]
				if tr := x.load(d); tr != nil && tr.Dest() != d {
					t.Errorf("load(%v) returned the transport of %v", d, tr.Dest())
					return
				}
			}
		})
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 50000 {
		d := dests[rng.IntN(len(dests))]
		if rng.IntN(2) == 0 {
			x.put(destTransport(d))
		} else {
			x.remove(d)
			if x.load(d) != nil {
				t.Fatalf("load(%v) after remove returned a transport", d)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
}

// destTransport is a bare transport to d, enough for the live index.
func destTransport(d Dest) *DestTransport {
	t := &DestTransport{}
	t.pool.dest = d
	return t
}

// The zero Dest is the tombstone's: looking it up must not return the
// tombstone it meets on its probe sequence.
func TestLiveIndexZeroDestIsNotTheTombstone(t *testing.T) {
	var x liveIndex
	x.put(destTransport(Actor(protocol.ActorID{Realm: 1, Serial: 7, Manufacturer: "acme", Name: "echo"})))
	tab := x.tab.Load()
	i := tab.hash(Dest{}) & tab.mask
	for tab.slots[i].Load() != nil {
		i = (i + 1) & tab.mask
	}
	tab.slots[i].Store(tombstone) // as if a dest stored there had been removed
	x.used++
	if got := x.load(Dest{}); got != nil {
		t.Fatalf("load(zero Dest) = %p, want nil", got)
	}
}
