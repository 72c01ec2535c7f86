package webrtc

import pion "github.com/pion/webrtc/v4"

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
