// Package signaling is the service through which actors register, stay
// present, find each other and relay WebRTC session messages, and the
// client actors use to talk to it.
//
// The wire protocol is one protocol.SignalingEnvelope per binary WebSocket
// message. Every envelope carries a unique envelope_id; an answer names the
// request in reply_for. A request the server refuses is answered with an
// envelope_error (code and message, see the Code constants).
//
// Flows:
//
//   - Register: a peer with no id sends peer_to_server.register_request
//     (type, realm). The server allocates a serial number, issues a
//     credential (auth package) and answers register_response with the id,
//     the credential, its expiry and the heartbeat interval. The connection
//     is then bound to that actor.
//   - Every actor_to_server and actr_relay envelope names its source and
//     carries its credential; the server verifies the credential, checks it
//     names the source, and binds the connection to the source if it is not
//     bound yet (this is how a client resumes after reconnecting, also
//     across a server restart). A connection bound to one actor cannot
//     speak for another.
//   - Heartbeat: ping (availability, backlog) → pong with the suggested
//     interval. An actor not heard from within the presence timeout is
//     dropped and its presence withdrawn.
//   - Presence: subscribe_actr_up_request for a type; actr_up_event(up or
//     down) for every actor of that type, in the subscriber's realm, that
//     registers, resumes, unregisters or times out.
//   - Discovery: the types present in the realm (optional manufacturer
//     filter and limit). Route candidates: online actors of a type ranked by
//     availability, then mailbox backlog.
//   - Credential renewal: credential_update_request → register_response
//     with a fresh credential, on the same connection.
//   - Relay: actr_relay to a target in the same realm is forwarded to the
//     target's connection unchanged; an unknown, offline or cross-realm
//     target is answered with an error. A role_negotiation is not forwarded:
//     the server answers both sides with a role_assignment, telling exactly
//     one of them to offer (the one whose ActorID orders first), so two
//     peers asking at the same moment get consistent answers.
//
// Security: registration is governed per realm (open, or that realm's own
// secret presented in the X-Actr-Realm-Secret handshake header; wrong
// secrets lock the remote address out for a doubling window). Envelopes
// are bounded in size, and in rate per connection, per actor and per
// remote address; registrations in rate per remote address. Connections
// are capped in all and per remote address, counted at TCP accept; each
// must register or present a credential within a deadline, answer
// keepalive pings, and read: what is queued for it is bounded in bytes and
// each write has a deadline. Presence subscriptions per actor and type
// names are capped; discovery and route candidates read an index by type.
// A limit answers with an error envelope (429, 503, 413) and never closes
// the connection; a connection that keeps sending malformed or
// unauthorised envelopes is closed. Every limit is a field of Limits with
// a documented default; every refusal and disconnection is counted by
// reason (ServerCounters). Credentials and secrets never appear in logs.
package signaling
