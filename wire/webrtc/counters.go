package webrtc

import "sync/atomic"

// Counters count what a Coordinator's sessions did. All fields are safe
// to read at any time.
type Counters struct {
	MessagesOut, BytesOut atomic.Uint64
	MessagesIn, BytesIn   atomic.Uint64
	// BadMessages: data channel messages refused (malformed fragments,
	// text messages, stalled reassembly).
	BadMessages atomic.Uint64
	// BadSignals: relayed offers, answers or candidates pion refused.
	BadSignals atomic.Uint64
	// StaleSignals: relayed messages dropped because they belong to no
	// current session or ICE generation.
	StaleSignals atomic.Uint64
	// Sessions: PeerConnections created; Accepted: of those, inbound.
	Sessions, Accepted atomic.Uint64
	// ICERestarts started, and completed (the connection came back).
	ICERestarts, ICERestartsCompleted atomic.Uint64
	// RestartRequestsSent: ice_restart_requests an answerer sent its
	// offerer, having seen their connection fail.
	RestartRequestsSent atomic.Uint64

	// Stalls: wires failed because their peer stopped reading
	// (Config.StallTimeout).
	Stalls atomic.Uint64
	// SetupsRefused: peers' sessions refused because
	// Config.MaxInboundSetups were being set up; SetupsRefusedPeer:
	// because that peer already held its share.
	SetupsRefused, SetupsRefusedPeer atomic.Uint64
	// SetupTimeouts: inbound sessions closed because they were not ready
	// within Config.InboundSetupTimeout.
	SetupTimeouts atomic.Uint64
	// SetupsEvicted: inbound sessions being set up, older than a second,
	// closed to give their place to a newer peer when
	// Config.MaxInboundSetups were taken.
	SetupsEvicted atomic.Uint64
	// RefusedByPeer: attempts of this node's that the peer refused (an
	// empty answer: its own setup cap was full), ended with
	// ErrSessionRefused.
	RefusedByPeer atomic.Uint64
	// CandidatesAccepted: relayed remote candidates handed to ICE. The
	// others were refused: over Config.MaxRemoteCandidates
	// (CandidatesOverCap), naming a network the node does not use
	// (CandidatesOffNetwork: not loopback with LoopbackOnly, outside
	// Config.RemoteNetworks, or of a network type not in
	// Config.NetworkTypes), naming no reachable address
	// (CandidatesBadAddress: unspecified, multicast, broadcast, port 0),
	// or unparsable or oversized (CandidatesMalformed).
	CandidatesAccepted                        atomic.Uint64
	CandidatesOverCap, CandidatesOffNetwork   atomic.Uint64
	CandidatesBadAddress, CandidatesMalformed atomic.Uint64
	// ReassemblyRefused: fragmented messages dropped because they would
	// have held more than Config.ReassemblyPeerBytes for their peer or
	// Config.ReassemblyBytes for all peers.
	ReassemblyRefused atomic.Uint64
	// RefusedChannels: data channels a peer opened that were closed at
	// once: with a label that names no lane, a second one of a lane
	// whose channel the peer has open, QoS that does not fit the lane, or
	// beyond the session's budget of channels (ours and the peer's, 8).
	RefusedChannels atomic.Uint64
}
