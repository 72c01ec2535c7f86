package webrtc

import (
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
)

// channelSpec is the data channel of one payload type. Channels are
// opened in-band (DCEP, RFC 8832) with the payload type's name as their
// label, as the actr runtime does: the peer maps a channel to its lane by
// label as it arrives.
type channelSpec struct {
	pt      protocol.PayloadType
	label   string
	ordered bool
	// maxRetransmits < 0: fully reliable.
	maxRetransmits int
}

// channelCount is the number of lanes (data payload types) of a session.
const channelCount = 4

// LatencyFirstMaxRetransmits is how often a STREAM_LATENCY_FIRST message
// is retransmitted at most before the channel gives it up.
const LatencyFirstMaxRetransmits = 3

// maxSessionChannels bounds the data channels a session ever has, ours
// and the peer's together: one of each per lane (both sides may open a
// lane's channel at once) is 8. A peer's channel beyond it is refused.
const maxSessionChannels = 2 * channelCount

// maxRefusedChannels is how many of a peer's channels a session refuses
// before it gives the peer up: a peer that keeps opening channels it was
// refused is broken or hostile, and each one costs pion some state until
// it is closed.
const maxRefusedChannels = 32

// rpcReliable is the index of RPC_RELIABLE in channelSpecs: the channel
// the offerer opens first, and the one a session is Ready with.
const rpcReliable = 0

// channelSpecs follow the routes table of DESIGN §3: reliable and ordered
// for RPC and reliable streams (RPC_SIGNAL on its own channel so that
// control traffic is not queued behind bulk RPC), unordered with bounded
// retransmits for latency-first streams. MEDIA_RTP is carried by media
// tracks, not data channels. The labels are actr's: exactly the payload
// types' names.
var channelSpecs = [channelCount]channelSpec{
	{pt: protocol.PayloadType_RPC_RELIABLE, label: "RPC_RELIABLE", ordered: true, maxRetransmits: -1},
	{pt: protocol.PayloadType_RPC_SIGNAL, label: "RPC_SIGNAL", ordered: true, maxRetransmits: -1},
	{pt: protocol.PayloadType_STREAM_RELIABLE, label: "STREAM_RELIABLE", ordered: true, maxRetransmits: -1},
	{pt: protocol.PayloadType_STREAM_LATENCY_FIRST, label: "STREAM_LATENCY_FIRST", ordered: false, maxRetransmits: LatencyFirstMaxRetransmits},
}

// reliable reports whether the channel retransmits until delivered.
func (s channelSpec) reliable() bool { return s.maxRetransmits < 0 }

// init is the channel as this side opens it: in-band, its id chosen by
// pion (even or odd by DTLS role, so the two sides' ids never collide).
func (s channelSpec) init() *pion.DataChannelInit {
	ordered := s.ordered
	in := &pion.DataChannelInit{Ordered: &ordered}
	if s.maxRetransmits >= 0 {
		r := uint16(s.maxRetransmits)
		in.MaxRetransmits = &r
	}
	return in
}

// fits reports whether a channel the peer opened with this label has QoS
// the lane can use: a reliable lane's channel must be ordered and fully
// reliable (its reassembly, and the delivery contract, rely on it); the
// latency-first lane takes any (a lossy message there is one fragment,
// whatever the channel does with it).
func (s channelSpec) fits(dc *pion.DataChannel) bool {
	if !s.reliable() {
		return true
	}
	return dc.Ordered() && dc.MaxRetransmits() == nil && dc.MaxPacketLifeTime() == nil
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

// labelIndex maps a channel label to its index in channelSpecs, or -1.
func labelIndex(label string) int {
	for i, s := range channelSpecs {
		if s.label == label {
			return i
		}
	}
	return -1
}
