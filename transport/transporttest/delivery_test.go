package transporttest_test

import (
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// The checker itself: it must see a duplicate, a reordering and a
// corrupted byte, and accept a gap.
func TestDeliveryLogSeesEveryViolation(t *testing.T) {
	from := protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "a"}
	msg := func(pt protocol.PayloadType, seq uint32, size int) transport.Message {
		return transport.Message{From: from, Type: pt, Data: transporttest.SeqPayload(3, seq, size)}
	}
	l := transporttest.NewDeliveryLog(protocol.StreamLatencyFirst)
	for _, seq := range []uint32{0, 1, 2, 5} { // a gap is not a violation
		l.Record(msg(protocol.RPCReliable, seq, 100))
	}
	if v := l.Violations(); len(v) != 0 {
		t.Fatalf("in-order messages with a gap: %v", v)
	}
	l.Record(msg(protocol.RPCReliable, 5, 100))
	l.Record(msg(protocol.RPCReliable, 4, 100))
	bad := msg(protocol.RPCReliable, 6, 1000)
	bad.Data[700] ^= 1
	l.Record(bad)
	l.Record(transport.Message{From: from, Type: protocol.RPCReliable, Data: []byte("short")})
	if v := l.Violations(); len(v) != 4 {
		t.Fatalf("got %d violations, want 4 (duplicate, reordered, corrupted, too short): %q", len(v), v)
	}
	// The unordered type: reordering is allowed, duplicates are not.
	l.Record(msg(protocol.StreamLatencyFirst, 9, 20))
	l.Record(msg(protocol.StreamLatencyFirst, 8, 20))
	if v := l.Violations(); len(v) != 4 {
		t.Fatalf("reordering on an unordered type counted as a violation: %q", v[4:])
	}
	l.Record(msg(protocol.StreamLatencyFirst, 8, 20))
	if v := l.Violations(); len(v) != 5 {
		t.Fatalf("a duplicate on an unordered type was not seen: %q", v)
	}
	k := transporttest.SeqKey{From: from, Type: protocol.RPCReliable, Stream: 3}
	if l.Count(k) != 5 || !l.Has(k, 5) || l.Has(k, 3) {
		t.Fatalf("count %d, has 5 %v, has 3 %v", l.Count(k), l.Has(k, 5), l.Has(k, 3))
	}
}
