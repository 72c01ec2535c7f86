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
}
