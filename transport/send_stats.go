package transport

import (
	"sync/atomic"

	"github.com/actr-go/actr/protocol"
)

// wireKindSlots sizes the per-kind counter arrays: WireKind values are
// small and dense (index 0 is unused).
const wireKindSlots = int(WireWebSocket) + 1

// laneCounters count the messages and bytes one transport handed to its
// lanes (WithSendStats). Each transport has its own, so parallel senders
// to different destinations do not share a cache line; the manager folds
// a transport's counts into its totals when it removes the transport.
type laneCounters struct {
	msgs, bytes [protocol.PayloadTypeCount][wireKindSlots]atomic.Uint64
}

func (c *laneCounters) add(pt protocol.PayloadType, k WireKind, n int) {
	if int(k) >= wireKindSlots {
		return // a kind this build does not know; not counted
	}
	c.msgs[pt][k].Add(1)
	c.bytes[pt][k].Add(uint64(n))
}

// laneTotals are plain counts, for sums and snapshots.
type laneTotals struct {
	msgs, bytes [protocol.PayloadTypeCount][wireKindSlots]uint64
}

func (t *laneTotals) addFrom(c *laneCounters) {
	if c == nil {
		return
	}
	for pt := range t.msgs {
		for k := range t.msgs[pt] {
			t.msgs[pt][k] += c.msgs[pt][k].Load()
			t.bytes[pt][k] += c.bytes[pt][k].Load()
		}
	}
}

// LaneCount is how many messages and bytes of one payload type went out
// on wires of one kind.
type LaneCount struct {
	PayloadType protocol.PayloadType
	Wire        WireKind
	Messages    uint64
	Bytes       uint64
}

func (t *laneTotals) counts() []LaneCount {
	var out []LaneCount
	for pt := range t.msgs {
		for k := range t.msgs[pt] {
			if t.msgs[pt][k] != 0 {
				out = append(out, LaneCount{PayloadType: protocol.PayloadType(pt), Wire: WireKind(k),
					Messages: t.msgs[pt][k], Bytes: t.bytes[pt][k]})
			}
		}
	}
	return out
}
