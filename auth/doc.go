// Package auth issues and verifies actor credentials.
//
// Trust model: one issuer (normally the signaling server) holds an Ed25519
// private key. When an actor registers, the issuer signs claims naming the
// actor (realm, serial number, type), the key id and an expiry, and hands
// the signed token to the actor inside the protocol's AIdCredential. Any
// party that knows the issuer's public key — a WebSocket gate, the
// signaling server itself — can then check, without a round trip, that a
// peer presenting a credential is the actor it claims to be and that the
// credential is still valid. Key ids let verifiers hold several keys at
// once, so the issuer's key can be rotated.
//
// A credential is a bearer token: whoever holds it can present it. Keep it
// out of logs (nothing in this package prints token bytes) and use TLS
// where the network is not trusted. Tokens are signed, not encrypted: the
// claims are readable by anyone holding the token.
package auth
