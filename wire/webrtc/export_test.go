package webrtc

import (
	"context"

	pion "github.com/pion/webrtc/v4"
)

// SizedSockets reports how many UDP sockets co's PeerConnections opened
// with Config.UDPSocketBuffer applied (0 when it does not apply).
func SizedSockets(co *Coordinator) int64 {
	if co.cfg.net == nil {
		return 0
	}
	return co.cfg.net.sized.Load()
}

// SCTPMetadata reports what c's current association negotiated; ok is
// false before it is established.
func SCTPMetadata(c *Conn) (md pion.SCTPTransportMetadata, ok bool) {
	s := c.session()
	if s == nil {
		return md, false
	}
	return s.pc.SCTP().Metadata()
}

// AwaitChannels waits until c's session has channels that satisfy ok,
// and returns them; it reports false if ctx ends or c has no session.
func AwaitChannels(ctx context.Context, c *Conn, ok func([]ChannelInfo) bool) ([]ChannelInfo, bool) {
	s := c.session()
	if s == nil {
		return nil, false
	}
	for {
		ch := s.channelsChanged()
		if got := c.Channels(); ok(got) {
			return got, true
		}
		select {
		case <-ch:
		case <-s.done:
			return c.Channels(), false
		case <-ctx.Done():
			return c.Channels(), false
		}
	}
}
