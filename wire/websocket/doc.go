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
// Data frames are written straight to the TCP or TLS connection under the
// library, and read from it by our own frame reader, on every connection a
// Gate accepts and every ws:// or wss:// one a Dialer makes with its own
// client (not through Dialer.HTTPClient, which keeps the connection out of
// reach). coder/websocket does the handshake.
//
// A frame of at most 4 KiB is taken into the connection's pending buffer
// (64 KiB) and its Send returns; the connection's flusher writes what is
// pending, many frames a write: a message alone goes at once, a stream in
// large writes. A Send that finds the buffer full waits for room until its
// ctx ends (its frame then not taken). A clean Close writes what is pending
// before its close frame, and Conn.Flush (transport.Flusher) waits for it;
// frames pending when a connection dies are lost, as bytes in the kernel's
// socket buffer are, and counted (Counters.UnsentAtDeath).
//
// A larger frame is written by its own Send, after what is pending: it
// waits for the writer honouring its ctx. Once it has started onto the
// socket it is written whole (cancelling half a frame would corrupt the
// stream): a Send whose ctx ends mid-frame closes the connection
// (ErrPeerStalled). Whatever the ctx, a connection whose peer takes nothing
// of a frame being written, large or a batch of small ones, for
// Options.StallTimeout is failed with transport.ErrStalled.
//
// # Reads and payloads
//
// A payload is the handler's to keep, unless its manager lends payloads
// (transport.WithLentPayloads): then a payload of 16-64 KiB is read into a
// reused buffer, valid until the handler returns.
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
