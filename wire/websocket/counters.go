package websocket

import "sync/atomic"

// Counters count what the connections of a Dialer or a Gate did. Every
// field is safe to read at any time.
type Counters struct {
	FramesIn, FramesOut atomic.Uint64 // data frames delivered / written
	BytesIn, BytesOut   atomic.Uint64 // payload bytes delivered / written

	// Refused frames, by fault. None of them is ever delivered.
	ShortFrames       atomic.Uint64
	LengthMismatches  atomic.Uint64
	OversizeFrames    atomic.Uint64
	UnknownTypeFrames atomic.Uint64
	TextMessages      atomic.Uint64
	// ProtocolErrors counts connections closed because the peer broke
	// the WebSocket protocol itself (ErrPeerProtocol).
	ProtocolErrors atomic.Uint64

	Dials, DialFailures atomic.Uint64
	PingFailures        atomic.Uint64 // peers declared dead by the keepalive
	Pings               atomic.Uint64 // keepalive pings answered
	StalledWrites       atomic.Uint64 // connections closed: a Send's deadline passed mid-write (ErrPeerStalled)
	Stalls              atomic.Uint64 // connections failed: the peer took nothing for StallTimeout (transport.ErrStalled)
	RefusedBudget       atomic.Uint64 // connections closed: no room in the gate's budget for a frame being read (ErrBufferBudget)
	UnsentAtDeath       atomic.Uint64 // small frames Sends had taken, pending, when their connection died (writebehind.go)

	// Gauges of a gate.
	OpenConns     atomic.Int64 // TCP connections open, from accept (half-open and handshaking included) to close
	BufferedBytes atomic.Int64 // bytes held in frames being read, against GateConfig.MaxBufferedBytes

	// Gate outcomes.
	Accepted     atomic.Uint64
	RejectedAuth atomic.Uint64 // 401: missing, forged, tampered, expired or wrong-actor credential, and each of the four below
	// Of RejectedAuth: a holder-bound credential without a valid proof of
	// possession made for this gate (missing, forged, stale, for another
	// party); a proof used before; a proof refused because MaxProofs
	// proofs in their window are remembered; a bearer credential without
	// GateConfig.AllowBearer.
	RejectedProof          atomic.Uint64
	RejectedReplay         atomic.Uint64
	RejectedProofCacheFull atomic.Uint64
	RejectedBearer         atomic.Uint64
	RejectedRealm          atomic.Uint64 // 403
	RejectedOrigin         atomic.Uint64 // 403: a browser page of an origin GateConfig.AllowedOrigins does not admit
	RejectedTarget         atomic.Uint64 // 404: X-Actr-Target-ID names another actor
	RejectedPath           atomic.Uint64 // 404: the URL path names another actor
	RejectedDuplicate      atomic.Uint64 // 409: lost a simultaneous-dial tie-break
	RejectedBusy           atomic.Uint64 // 503: at the connection limit
	RejectedPerIP          atomic.Uint64 // 429: at the per-address connection limit
	// DroppedAtAccept counts connections over a limit closed at accept
	// without an answer, because maxRefusing refusals were being answered
	// already (they are in RejectedBusy or RejectedPerIP too).
	DroppedAtAccept atomic.Uint64
	RejectedBad     atomic.Uint64 // 400: missing or unparsable headers, failed upgrade
}

// BadFrames is the total of refused frames of every fault.
func (c *Counters) BadFrames() uint64 {
	return c.ShortFrames.Load() + c.LengthMismatches.Load() + c.OversizeFrames.Load() +
		c.UnknownTypeFrames.Load() + c.TextMessages.Load()
}
