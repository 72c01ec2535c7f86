package webrtc

import "github.com/actr-go/actr/protocol"

// ChannelInfo describes one data channel of a connected Conn as pion
// negotiated it.
type ChannelInfo struct {
	PayloadType protocol.PayloadType
	Label       string
	ID          uint16
	Ordered     bool
	// MaxRetransmits is nil for a fully reliable channel.
	MaxRetransmits *uint16
	Open           bool
	BufferedAmount uint64
	// Local: this side opened the channel (else the peer did).
	Local bool
	// Sending: the lane's Sends write to this channel.
	Sending bool
}

// Channels describes the Conn's open data channels, lane by lane
// (RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE, STREAM_LATENCY_FIRST) and
// in the order they opened within a lane, or returns nil before it has
// connected. A lane has none until its channel opened, and two if both
// sides opened it at once.
func (c *Conn) Channels() []ChannelInfo {
	s := c.cur.Load()
	if s == nil {
		return nil
	}
	var out []ChannelInfo
	for _, ls := range s.lanes {
		send := ls.send.Load()
		for _, ch := range ls.open() {
			ci := ChannelInfo{PayloadType: ls.spec.pt, Label: ch.dc.Label(), Ordered: ch.dc.Ordered(),
				MaxRetransmits: ch.dc.MaxRetransmits(), Open: s.ctx.Err() == nil,
				BufferedAmount: ch.dc.BufferedAmount(), Local: ch.local, Sending: ch == send}
			if id := ch.dc.ID(); id != nil {
				ci.ID = *id
			}
			out = append(out, ci)
		}
	}
	return out
}
