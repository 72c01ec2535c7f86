// Package webrtc is the WebRTC wire: a PeerConnection per peer pair,
// with one DataChannel per data payload type, opened in-band and
// labelled as the actr runtime does, set up through the signaling
// service.
//
// A node has one Coordinator. It reads what peers relay through the
// node's signaling client (offers, answers, candidates, role
// assignments), keeps at most one session (PeerConnection) per peer, and
// makes the Conns the WirePool dials: Coordinator.Wire is what
// wire.DefaultWireBuilder returns for an actor. Peers that connect to
// the node are accepted and, once ready, handed to Coordinator.Accept's
// Acceptor (the node's *transport.OutprocManager).
//
// Connecting: the dialling side asks the signaling service which side
// offers (the service tells both, so a peer dialling back at the same
// moment gets the consistent answer and one PeerConnection results). The
// offerer creates the offer; candidates trickle through signaling, are
// buffered until the remote description is set, and are matched to
// their ICE generation by username fragment. A Conn is Ready when ICE
// and DTLS are connected and the RPC_RELIABLE channel is open.
//
// Channels (DESIGN §3), as actr's runtime makes them: opened in-band
// (DCEP, RFC 8832), one per data payload type and labelled with its name:
// RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE (reliable, ordered) and
// STREAM_LATENCY_FIRST (unordered, at most LatencyFirstMaxRetransmits
// retransmits). The offerer creates RPC_RELIABLE first, before its offer
// (which so carries the application m-line), then the other three; the
// answerer maps channels to lanes by label as they arrive. Any peer may
// open fewer (an actr node may open RPC_RELIABLE alone): a lane with no
// channel opens its own, from either side, on its first Send, which waits
// for it (pion lets data follow the DCEP open at once: no round trip). If
// both sides open a lane at once, the lane has two channels: both are
// read, and each side sends on the first that opened for it. Every
// channel message carries an 8-byte fragment header (message id u32,
// index u16, total u16, big-endian; ours, on every lane) and is at most
// MaxChannelMessage bytes. Bigger messages are fragmented on the reliable
// channels and reassembled within Config.MaxMessageSize and
// Config.ReassemblyTimeout; on the latency-first channel they are refused
// with a *transport.MessageTooLargeError, since a lost fragment there
// would strand the rest. Send waits, honouring its ctx, while a channel
// has more than Config.BufferedAmountHigh bytes queued.
//
// SCTP: actr offers RFC 9653's zero checksum (SCTP inside DTLS needs no
// CRC32c of its own; Config.SCTPChecksums keeps it), and asks for
// Config.UDPSocketBuffer on every UDP socket, so that a burst is not
// dropped by the kernel and recovered a probe at a time.
//
// Recovery: when a connected session goes disconnected or failed, the
// offerer restarts ICE up to Config.ICERestarts times; the Conn is not
// Ready meanwhile (other wires carry the traffic) and is declared dead
// if the restarts fail.
//
// Hostile peers (DESIGN §9): a peer that stops reading fails its wire
// with transport.ErrStalled (Config.StallTimeout). Sessions peers start
// are capped while being set up (Config.MaxInboundSetups, two per peer,
// Config.InboundSetupTimeout); beyond, the peer is refused at once with
// an answer carrying no SDP, which a Conn of this package reports as
// ErrSessionRefused. A peer's candidates, trickled or in its session
// descriptions, are screened against the node's networks (LoopbackOnly,
// Config.RemoteNetworks, Config.NetworkTypes) and capped per ICE
// generation (Config.MaxRemoteCandidates). Reassembly buffers grow with
// the bytes received, charged to per-peer and per-process budgets
// (Config.ReassemblyPeerBytes, Config.ReassemblyBytes). Every refusal is
// counted in Counters.
//
// Concurrency: each session runs its state changes on its own goroutine;
// pion's callbacks only queue work there, so no lock is held across a
// pion call, and callbacks of a finished session touch nothing. Close
// waits for every goroutine of the session.
package webrtc
