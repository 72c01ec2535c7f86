// Package websocket is the WebSocket wire: one connection per peer pair
// carries every data payload type, framed as the actr runtime frames it.
//
// The client side is a [Conn] made by a [Dialer]; the server side is a
// [Gate], an http.Handler that authenticates the caller's credential before
// a single frame is delivered and hands the accepted connection to the
// local [transport.OutprocManager] as a wire of that peer (adoption), so
// replies reuse it and the caller need not be dialable.
//
// # Frames
//
// Each binary WebSocket message is one frame:
//
//	[payload type: 1 byte][length: 4 bytes, big-endian][payload: length bytes]
//
// A frame shorter than 5 bytes, whose length disagrees with the message,
// over the configured maximum, or sent as a text message closes the
// connection with a close code that names the fault; a frame of a payload
// type without a data lane is dropped. Every such frame is counted in
// [Counters] and logged, and none is ever delivered.
//
// # Handshake
//
// The client sends its ActorID in X-Actr-Source-ID, the ActorID it wants in
// X-Actr-Target-ID, and its credential in X-Actr-Credential (see
// auth.EncodeHeader). The gate answers 401 when the credential is missing,
// forged, tampered with, expired or names another actor; 403 when its realm
// policy refuses the caller; 404 when the target, or the actor the URL path
// names (see GateConfig.Path), is not this node's; 409 when
// the dial loses a simultaneous-dial tie-break (below); 503 when it is at
// its connection limit, 429 at its limit per remote address (served by
// Gate.Listen, connections count from TCP accept, before they send
// anything). It answers with its own ActorID in X-Actr-Source-ID.
//
// # Simultaneous dials
//
// When two peers dial each other at once, the connection dialled by the
// peer whose ActorID orders first (protocol.ActorID.Compare) survives: that
// peer's gate refuses the other's connection with 409 while its own dial is
// in flight, and the other peer's gate accepts. The refused dialler sees
// transport.ErrSuperseded and waits for the surviving connection to be
// adopted. No data ever flows on the refused connection.
//
// # Writes and contexts
//
// A Send waits for the connection's writer honouring its ctx. Once a frame
// has started onto the socket it is written whole (cancelling half a frame
// would corrupt the stream): a Send whose ctx ends mid-frame closes the
// connection (ErrPeerStalled), and whatever the ctx, a frame of which the
// peer takes nothing for Options.StallTimeout fails the connection with
// transport.ErrStalled; the stuck Send returns that error.
//
// # Hostile peers
//
// Every byte may come from an attacker holding a valid credential. No
// buffer is sized from a length the peer announced: a frame's buffer grows
// as its bytes arrive, against a budget all of a gate's connections share
// (GateConfig.MaxBufferedBytes). Half-open connections hold connection
// slots; a peer that stops reading costs only its own connection. Every
// refusal is counted in [Counters].
package websocket
