package webrtc

// SizedSockets reports how many UDP sockets co's PeerConnections opened
// with Config.UDPSocketBuffer applied (0 when it does not apply).
func SizedSockets(co *Coordinator) int64 {
	if co.cfg.net == nil {
		return 0
	}
	return co.cfg.net.sized.Load()
}
