package webrtc

import (
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
)

// channelSpec is the data channel of one payload type. Both sides create
// it pre-negotiated with the same id, so a lane needs no open handshake.
type channelSpec struct {
	pt      protocol.PayloadType
	id      uint16
	label   string
	ordered bool
	// maxRetransmits < 0: fully reliable.
	maxRetransmits int
}

// channelCount is the number of data channels of a session.
const channelCount = 4

// LatencyFirstMaxRetransmits is how often a STREAM_LATENCY_FIRST message
// is retransmitted at most before the channel gives it up.
const LatencyFirstMaxRetransmits = 3

// channelSpecs follow the routes table of DESIGN §3: reliable and ordered
// for RPC and reliable streams (RPC_SIGNAL on its own channel so that
// control traffic is not queued behind bulk RPC), unordered with bounded
// retransmits for latency-first streams. MEDIA_RTP is carried by media
// tracks, not data channels.
var channelSpecs = [channelCount]channelSpec{
	{pt: protocol.PayloadType_RPC_RELIABLE, id: 0, label: "actr/rpc-reliable", ordered: true, maxRetransmits: -1},
	{pt: protocol.PayloadType_RPC_SIGNAL, id: 1, label: "actr/rpc-signal", ordered: true, maxRetransmits: -1},
	{pt: protocol.PayloadType_STREAM_RELIABLE, id: 2, label: "actr/stream-reliable", ordered: true, maxRetransmits: -1},
	{pt: protocol.PayloadType_STREAM_LATENCY_FIRST, id: 3, label: "actr/stream-latency-first", ordered: false, maxRetransmits: LatencyFirstMaxRetransmits},
}

// reliable reports whether the channel retransmits until delivered.
func (s channelSpec) reliable() bool { return s.maxRetransmits < 0 }

func (s channelSpec) init() *pion.DataChannelInit {
	negotiated := true
	id := s.id
	ordered := s.ordered
	in := &pion.DataChannelInit{Negotiated: &negotiated, ID: &id, Ordered: &ordered}
	if s.maxRetransmits >= 0 {
		r := uint16(s.maxRetransmits)
		in.MaxRetransmits = &r
	}
	return in
}

// specIndex maps a payload type to its index in channelSpecs, or -1.
func specIndex(pt protocol.PayloadType) int {
	for i, s := range channelSpecs {
		if s.pt == pt {
			return i
		}
	}
	return -1
}
