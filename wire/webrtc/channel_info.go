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
}

// Channels describes the Conn's data channels, or returns nil before it
// has connected.
func (c *Conn) Channels() []ChannelInfo {
	s := c.cur.Load()
	if s == nil {
		return nil
	}
	out := make([]ChannelInfo, 0, len(s.lanes))
	for _, ls := range s.lanes {
		ci := ChannelInfo{PayloadType: ls.spec.pt, Label: ls.dc.Label(), Ordered: ls.dc.Ordered(),
			MaxRetransmits: ls.dc.MaxRetransmits(), Open: ls.rwc.Load() != nil && s.ctx.Err() == nil,
			BufferedAmount: ls.dc.BufferedAmount()}
		if id := ls.dc.ID(); id != nil {
			ci.ID = *id
		}
		out = append(out, ci)
	}
	return out
}
