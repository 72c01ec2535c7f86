package transport

import (
	"math/rand/v2"
	"sync/atomic"
)

// liveIndex maps a Dest to its connected transport for the lock-free fast
// path of OutprocManager.Send. Loads never block and write nothing shared,
// so concurrent senders do not contend; writers must be serialized by the
// caller (the manager holds its mu). Every operation is linearizable: once
// remove(d) has returned, no load(d) returns the old transport.
//
// It is an open-addressing hash table (linear probing) of atomic pointers
// to the transports themselves, replaced whole when it grows; a slot's
// transport is its key (DestTransport.Dest never changes). Why this and
// not a map:
//
//   - A copy-on-write map behind an atomic.Pointer copies itself on each
//     change: O(destinations) per change, O(n²) to connect n of them.
//     Here a change is one atomic store, amortized O(1) with growth.
//   - sync.Map (a hash trie) costs a load a chain of dependent reads, one
//     per trie level, then a boxed value and its slice: at 10,000
//     destinations each is a cache miss, and the lookup was the largest
//     part of the transport layer's cost per Send (perf, issue 7). Here a
//     load reads the slot array and the transport, whose first cache line
//     holds both its Dest and what Send reads next: two misses when cold.
//   - The hash is of the Dest's fixed-size part (realm, serial, kind),
//     mixed with a per-table random seed (so peers cannot line their ids
//     up in one probe sequence); the full Dest is compared only in the
//     transport. Dests that differ only by type name share a hash and sit in
//     neighbouring slots.
type liveIndex struct {
	tab atomic.Pointer[liveTable]
	// Writers only:
	used int // slots holding an entry or a tombstone, in tab
	live int // slots holding an entry
}

// liveTable is one generation of the index: a power-of-two array of slots.
// A slot is nil (never used: a probe stops there), a transport, or the
// tombstone (a transport removed: a probe goes on past it).
type liveTable struct {
	mask  uint64
	seed  uint64
	slots []atomic.Pointer[DestTransport]
}

// tombstone marks a slot whose transport was removed. Its Dest is the zero
// Dest, which a caller may look up: load checks for it by address.
var tombstone = &DestTransport{}

const liveMinSlots = 16

// hash mixes d's realm, serial and kind with the table's seed (the
// 64-bit finalizer of MurmurHash3).
func (tab *liveTable) hash(d Dest) uint64 {
	h := d.actor.Serial ^ tab.seed ^ (uint64(d.actor.Realm)<<8|uint64(d.kind))*0x9e3779b97f4a7c15
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

// load returns d's transport, or nil.
func (x *liveIndex) load(d Dest) *DestTransport {
	tab := x.tab.Load()
	if tab == nil {
		return nil
	}
	for i := tab.hash(d) & tab.mask; ; i = (i + 1) & tab.mask {
		t := tab.slots[i].Load()
		if t == nil {
			return nil
		}
		if t != tombstone && t.pool.dest == d {
			return t
		}
	}
}

// put makes t the transport of its Dest. Calls must be serialized.
func (x *liveIndex) put(t *DestTransport) { x.set(t.pool.dest, t) }

// remove removes d. Calls must be serialized.
func (x *liveIndex) remove(d Dest) { x.set(d, nil) }

// set makes d map to t (whose Dest is d), or removes d if t is nil.
func (x *liveIndex) set(d Dest, t *DestTransport) {
	tab := x.tab.Load()
	if tab == nil {
		if t == nil {
			return
		}
		tab = newLiveTable(liveMinSlots)
		x.tab.Store(tab)
	}
	// Find d, and the first reusable slot on its probe sequence.
	free := -1
	for i := tab.hash(d) & tab.mask; ; i = (i + 1) & tab.mask {
		e := tab.slots[i].Load()
		switch {
		case e == nil:
			if t == nil {
				return // absent
			}
			if free < 0 {
				free = int(i)
				x.used++
			}
			tab.slots[free].Store(t)
			x.live++
			x.growIfFull()
			return
		case e == tombstone:
			if free < 0 {
				free = int(i)
			}
		case e.pool.dest == d:
			if t == nil {
				tab.slots[i].Store(tombstone)
				x.live--
			} else {
				tab.slots[i].Store(t)
			}
			return
		}
	}
}

// growIfFull rebuilds the table once over half its slots are used, so
// probe sequences stay short and always end at a nil slot; tombstones are
// dropped on the way. Loads still on the old table finish there: they
// began before any change the new table carries.
func (x *liveIndex) growIfFull() {
	tab := x.tab.Load()
	if x.used*2 <= len(tab.slots) {
		return
	}
	n := liveMinSlots
	for n < x.live*4 {
		n *= 2
	}
	next := newLiveTable(n)
	for i := range tab.slots {
		e := tab.slots[i].Load()
		if e == nil || e == tombstone {
			continue
		}
		j := next.hash(e.pool.dest) & next.mask
		for next.slots[j].Load() != nil {
			j = (j + 1) & next.mask
		}
		next.slots[j].Store(e)
	}
	x.used = x.live
	x.tab.Store(next)
}

func newLiveTable(n int) *liveTable {
	return &liveTable{mask: uint64(n - 1), seed: rand.Uint64(), slots: make([]atomic.Pointer[DestTransport], n)}
}

// clear removes every dest. Like put, it must be serialized with writers.
func (x *liveIndex) clear() {
	x.tab.Store(nil)
	x.used, x.live = 0, 0
}
