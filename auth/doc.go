// Package auth issues and verifies signed actor credentials.
//
// # Trust model
//
// One issuer — normally the signaling server — holds an Ed25519 private key
// known by a key id. When an actor registers, the issuer signs claims naming
// the actor (realm, serial number, manufacturer and name), the key id, the
// issue time and an expiry, and hands the signed token to the actor inside
// the protocol's AIdCredential message ([Issuer.Issue]).
//
// Anyone holding the issuer's public key — a WebSocket gate, the signaling
// server itself, another node — can then check, offline and without a round
// trip to the issuer, that a credential is genuine, unexpired and issued to
// the actor presenting it ([Verifier.VerifyFor]). Verifiers trust exactly
// the keys configured on them; nothing in a credential can add a key. A
// verifier may hold several keys at once, so the issuer's key can be rotated
// without a flag day: add the new key to verifiers, switch the issuer, and
// remove the old key when its credentials have expired. Removing a key is
// also the only way to revoke credentials early; otherwise keep lifetimes
// short and renew.
//
// What the signature protects: every claim byte and the key id, under a
// domain-separation prefix so signatures made with the key for another
// purpose cannot pass as credentials. What it does not: a credential is a
// bearer token — whoever holds it can present it until it expires. So keep
// it out of logs (nothing in this package prints token bytes, and
// [Claims.String] and [*VerifyError] are safe to log), send it only over
// TLS where the network is not trusted, and bind it to a session by other
// means if replay matters. Tokens are signed, not encrypted: anyone holding
// one can read its claims, which contain no secret.
//
// The issuer's private key is the root of trust: whoever reads it can mint
// credentials for any actor. [SavePrivateKey] writes it 0600 and
// [LoadPrivateKey] refuses a file other users may read.
//
// # Token format
//
// The token (AIdCredential.encrypted_token; the name is historical) is
// version byte 1, then realm u32, serial u64, manufacturer and name (each a
// u16 length of at most 255 and the bytes), issued-at and expires-at (int64
// Unix seconds) and key id u32, all big-endian, then a 64-byte Ed25519
// signature over "actr-go credential v1\x00" followed by everything before
// it. token.go documents it in full. AIdCredential.token_key_id must equal
// the signed key id. The header form for the WebSocket handshake
// (X-Actr-Credential) is [EncodeHeader].
package auth
