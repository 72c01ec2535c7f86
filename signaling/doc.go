// Package signaling is the service through which actors register, stay
// present, find each other and relay WebRTC session messages, and the
// client actors use to talk to it.
//
// The wire protocol is one protocol.SignalingEnvelope per binary WebSocket
// message. Every envelope carries a unique envelope_id; an answer names the
// request in reply_for. A request the server refuses is answered with an
// envelope_error (code and message, see the Code constants).
//
// The flows are the actr runtime's (docs/PROTOCOL.md):
//
//   - Register: POST RegisterPath (or AISRegisterPath), an
//     application/x-protobuf RegisterRequest (type, realm, optionally a
//     WebSocket gate address, a service spec, and, ours, the actor's own
//     Ed25519 holder key). The server allocates a serial number, issues a
//     credential (auth package) bound to the holder key when one is given,
//     a renewal token, and answers a RegisterResponse with the id, the
//     credential, its expiry, the signing key and the heartbeat interval.
//     (A register_request over the socket "/" is still served, for our
//     older clients; on SocketPath it is refused, as actr refuses it.)
//   - The socket: GET SocketPath?actor_id=…&key_id=…&claims=…&signature=…,
//     checked before the upgrade; the connection is then that actor's.
//     A holder-bound credential must come with a proof of possession made
//     for this server (QueryProof); a bearer credential (actr's nodes) is
//     accepted only with ServerConfig.AllowBearer. Envelopes on a
//     connection must name its actor. A client resumes after reconnecting
//     (also across a server restart) by opening the socket again.
//   - Heartbeat: ping (availability, backlog) → pong with the suggested
//     interval. An actor not heard from within the presence timeout is
//     dropped and its presence withdrawn.
//   - Presence: subscribe_actr_up_request for a type; actr_up_event for
//     every actor of that type, in the subscriber's realm, that registers or
//     resumes, and (ours) actr_down_event for one that unregisters or
//     times out.
//   - Discovery: the types present in the realm (optional manufacturer
//     filter and limit). Route candidates: online actors of a type ranked by
//     availability, then mailbox backlog.
//   - Credential renewal: POST RenewPath with actr's RenewCredentialRequest
//     (actor id and renewal token), or (ours) credential_renewal on the
//     socket; the token rotates. Unregistering revokes the actor's
//     credentials and token.
//   - Lookups: get_signing_key (the key that verifies credentials offline)
//     and get_service_spec (a spec an actor registered, by name).
//   - Relay: actr_relay to a target in the same realm is forwarded to the
//     target's connection unchanged; an unknown, offline or cross-realm
//     target is answered with an error. A role_negotiation is not forwarded:
//     the server answers both sides with a role_assignment, telling exactly
//     one of them to offer (actr's rule: the larger by realm, serial,
//     manufacturer and name, unless one asked to answer only with
//     webrtc_role=answer), so two peers asking at the same moment get
//     consistent answers.
//
// Security: registration is governed per realm (open, or that realm's own
// secret presented in the X-Actr-Realm-Secret or actr's
// X-Actrix-Realm-Secret header; wrong
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
