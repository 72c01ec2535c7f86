package transport

import (
	"fmt"

	"github.com/actr-go/actr/protocol"
)

// RouteTable ranks, for each payload type, the wire kinds that may carry it,
// best first. A payload type with no kinds (MEDIA_RTP by default) has no
// data lane: sending it is an ErrNoRoute error.
type RouteTable struct {
	kinds [protocol.PayloadTypeCount][]WireKind
}

// DefaultRoutes returns the routes of the actr runtime: every data payload
// type prefers a WebRTC DataChannel and falls back to WebSocket; MEDIA_RTP
// travels on media tracks, never on a data lane.
func DefaultRoutes() RouteTable {
	var r RouteTable
	for _, pt := range protocol.DataPayloadTypes() {
		r.kinds[pt] = []WireKind{WireWebRTC, WireWebSocket}
	}
	return r
}

// With returns a copy of r in which pt is carried by kinds, best first.
// It panics if pt is not a known payload type, like an out-of-range index.
func (r RouteTable) With(pt protocol.PayloadType, kinds ...WireKind) RouteTable {
	if !validPayloadType(pt) {
		panic(fmt.Sprintf("transport: RouteTable.With: unknown payload type %d", int32(pt)))
	}
	var out RouteTable
	for i := range r.kinds {
		out.kinds[i] = append([]WireKind(nil), r.kinds[i]...)
	}
	out.kinds[pt] = append([]WireKind(nil), kinds...)
	return out
}

// Kinds returns the wire kinds for pt, best first. The slice must not be modified.
func (r RouteTable) Kinds(pt protocol.PayloadType) []WireKind {
	if !validPayloadType(pt) {
		return nil
	}
	return r.kinds[pt]
}

// rank returns the position of k in pt's route, or -1 if k may not carry pt.
func (r RouteTable) rank(pt protocol.PayloadType, k WireKind) int {
	for i, kk := range r.Kinds(pt) {
		if kk == k {
			return i
		}
	}
	return -1
}

// hasLane reports whether pt is a known payload type that some wire kind
// may carry.
func (r *RouteTable) hasLane(pt protocol.PayloadType) bool {
	return validPayloadType(pt) && len(r.kinds[pt]) != 0
}

func validPayloadType(pt protocol.PayloadType) bool {
	return pt >= 0 && int(pt) < protocol.PayloadTypeCount
}
