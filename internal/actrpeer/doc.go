// Package actrpeer is an actor that speaks only the actr runtime's own flows,
// for interoperability tests (issue 21). It is written from the protocol's
// facts (docs/PROTOCOL.md: field numbers, paths, headers, channel labels),
// and deliberately uses none of this module's signaling, wire, auth, node or
// transport packages — only the generated messages of package protocol,
// whose bytes the golden tests pin to actr's field numbers — so that a test
// of a Go node against it is a test against what actr's nodes do, not
// against our own client code.
//
// What it does, the way an actr node does it:
//
//   - registers with POST /register (application/x-protobuf RegisterRequest
//     → RegisterResponse), with no holder key: its credential is a bearer
//     credential;
//   - opens the signaling socket /signaling/ws?actor_id=…&key_id=…&claims=…&signature=…,
//     heartbeats with Ping, and asks for roles with RoleNegotiation;
//   - over WebRTC, opens (as offerer) or accepts (as answerer) in-band data
//     channels labelled RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE and
//     STREAM_LATENCY_FIRST, every message behind the 8-byte fragment header,
//     with sdp_exchange_id on offers and answers and trickled candidates;
//   - over WebSocket, dials a gate with X-Actr-Source-ID (hex of the encoded
//     ActrId) and X-Actr-Credential (padded standard base64 of the encoded
//     AIdCredential), and serves a gate that reads them the same way and
//     verifies the credential offline with the signing key its registration
//     returned; frames are [payload type u8][length u32 BE][payload];
//   - answers every message with the same bytes on the same payload type
//     (an echo), as `actr node` does.
//
// It is a test tool: bounded where a test needs it, not hardened.
package actrpeer
