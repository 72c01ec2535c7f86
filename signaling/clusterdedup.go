package signaling

import (
	"sync"

	"github.com/actr-go/actr/protocol"
)

// defaultDedupSize is how many relays from other servers a server
// remembers to refuse their second delivery: at the ~20 k relays/s one
// server sustains, about 3 s of them, more than a relay's retry takes.
const defaultDedupSize = 1 << 16

type dedupKey struct {
	source protocol.ActorID
	id     string
}

// relayDedup remembers the last size relays delivered, oldest forgotten
// first, in bounded memory whatever other servers send.
type relayDedup struct {
	mu   sync.Mutex
	seen map[dedupKey]struct{}
	ring []dedupKey
	next int
}

func newRelayDedup(size int) *relayDedup {
	return &relayDedup{seen: make(map[dedupKey]struct{}, size), ring: make([]dedupKey, 0, size)}
}

// claim records k and reports whether it is new: a relay is delivered
// only by the caller that claimed it.
func (d *relayDedup) claim(k dedupKey) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[k]; ok {
		return false
	}
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, k)
	} else {
		delete(d.seen, d.ring[d.next])
		d.ring[d.next] = k
		d.next = (d.next + 1) % len(d.ring)
	}
	d.seen[k] = struct{}{}
	return true
}

// release forgets k, claimed by a delivery that failed, so that a retry
// is delivered. Its ring slot stays until overwritten; forgetting an
// absent key then is harmless.
func (d *relayDedup) release(k dedupKey) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, k)
}
