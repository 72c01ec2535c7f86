package signaling

import (
	"sync/atomic"
	"testing"
)

// The outbox holds at most its budget, counting the envelope being
// written; best-effort envelopes leave a quarter for the server's own; the
// gauge follows every byte, and closing releases the queue.
func TestOutboxBudget(t *testing.T) {
	var held atomic.Int64
	o := newOutbox(100, 1000, &held)
	b := make([]byte, 100)
	n := 0
	for o.push(b, true) {
		n++
	}
	if n != 7 || held.Load() != 700 { // 750 bytes of room, 100 each
		t.Fatalf("best effort took %d envelopes, %d bytes; want 7, 700", n, held.Load())
	}
	for o.push(b, false) {
		n++
	}
	if n != 10 || held.Load() != 1000 {
		t.Fatalf("own envelopes filled to %d envelopes, %d bytes; want 10, 1000", n, held.Load())
	}
	p, ok := o.pop()
	if !ok || o.push(b, false) {
		t.Fatal("an envelope being written must stay charged until written")
	}
	o.written(len(p))
	if !o.push(b, false) {
		t.Fatal("room not released by written")
	}
	p, _ = o.pop()
	o.close()
	if held.Load() != int64(len(p)) || o.push(b, false) {
		t.Fatalf("after close %d bytes held (the one being written: %d), push accepted", held.Load(), len(p))
	}
	o.written(len(p))
	if held.Load() != 0 {
		t.Fatalf("%d bytes held after everything was written or released", held.Load())
	}
}
