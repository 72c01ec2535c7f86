package auth

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	"github.com/actr-go/actr/protocol"
)

// DefaultClockSkew is how far in the future a credential's issue time may
// lie before it is refused, to tolerate issuer and verifier clocks that
// disagree a little.
const DefaultClockSkew = 30 * time.Second

// Verifier checks credentials against the issuer public keys it knows, by
// key id. It is safe for concurrent use, and keys can be added and removed
// while it is in use, so an issuer's key can be rotated: add the new key,
// let the issuer sign with it, and remove the old key once the credentials
// it signed have expired.
//
// The zero Verifier knows no key and uses DefaultClockSkew.
type Verifier struct {
	mu      sync.RWMutex
	keys    map[uint32]ed25519.PublicKey
	skew    time.Duration
	skewSet bool
}

// NewVerifier returns a verifier that knows keys (by key id). It copies the
// map and the keys. A key that is not a 32-byte Ed25519 public key is kept,
// but every credential naming its id is refused with [ErrUnknownKey] and a
// message saying the configured key is invalid; use [Verifier.AddKey] to be
// told at once.
func NewVerifier(keys map[uint32]ed25519.PublicKey) *Verifier {
	v := &Verifier{keys: make(map[uint32]ed25519.PublicKey, len(keys))}
	for id, k := range keys {
		v.keys[id] = append(ed25519.PublicKey(nil), k...)
	}
	return v
}

// AddKey makes the verifier accept credentials signed by pub under keyID,
// replacing any key it had under that id. It refuses a key of the wrong
// length.
func (v *Verifier) AddKey(keyID uint32, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("auth: key id %d: an Ed25519 public key has %d bytes, not %d", keyID, ed25519.PublicKeySize, len(pub))
	}
	pub = append(ed25519.PublicKey(nil), pub...)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.keys == nil {
		v.keys = make(map[uint32]ed25519.PublicKey)
	}
	v.keys[keyID] = pub
	return nil
}

// RemoveKey stops accepting credentials signed under keyID.
func (v *Verifier) RemoveKey(keyID uint32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.keys, keyID)
}

// SetClockSkew sets how far in the future a credential's issue time may be
// (default [DefaultClockSkew]). A negative d counts as zero. Expiry is
// always strict.
func (v *Verifier) SetClockSkew(d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.skew, v.skewSet = max(d, 0), true
}

// Verify checks cred's form, key, signature and validity now.
func (v *Verifier) Verify(cred *protocol.AIdCredential) (Claims, error) {
	return v.VerifyAt(cred, time.Now())
}

// VerifyFor checks cred as Verify does, and that it was issued to actor:
// use it wherever a peer claims an identity and presents a credential.
func (v *Verifier) VerifyFor(cred *protocol.AIdCredential, actor protocol.ActorID) (Claims, error) {
	return v.VerifyForAt(cred, actor, time.Now())
}

// VerifyForAt checks cred at now and that it was issued to actor; a
// genuine credential naming another actor is refused with [ErrWrongActor].
func (v *Verifier) VerifyForAt(cred *protocol.AIdCredential, actor protocol.ActorID, now time.Time) (Claims, error) {
	c, err := v.VerifyAt(cred, now)
	if err != nil {
		return Claims{}, err
	}
	if c.Actor != actor {
		return Claims{}, refuse(ErrWrongActor, c.KeyID, c.Actor,
			"it was issued to %s but presented as %s: present the credential issued to %s, or connect as %s", c.Actor, actor, actor, c.Actor)
	}
	return c, nil
}

// VerifyAt checks cred's form, key, signature and validity at now, in that
// order, and returns its claims. Every refusal is a [*VerifyError].
func (v *Verifier) VerifyAt(cred *protocol.AIdCredential, now time.Time) (Claims, error) {
	if cred == nil {
		return Claims{}, refuse(ErrMalformed, 0, protocol.ActorID{}, "no credential: present the one the issuer (signaling server) gave you")
	}
	keyID := cred.GetKeyId()
	c, err := decodeClaims(cred.GetClaims())
	if err != nil {
		return Claims{}, refuse(ErrMalformed, keyID, protocol.ActorID{}, "%v; obtain a new credential from the issuer", trimSentinel(err, ErrMalformed))
	}
	c.KeyID = keyID
	if n := len(cred.GetSignature()); n != ed25519.SignatureSize {
		return Claims{}, refuse(ErrMalformed, keyID, c.Actor, "a signature of %d bytes, not %d; obtain a new credential from the issuer", n, ed25519.SignatureSize)
	}
	v.mu.RLock()
	pub, ok := v.keys[keyID]
	skew := v.skew
	if !v.skewSet {
		skew = DefaultClockSkew
	}
	v.mu.RUnlock()
	if !ok {
		return Claims{}, refuse(ErrUnknownKey, keyID, c.Actor,
			"the issuer's public key is not configured on this verifier: add key id %d (or, if that key was retired, obtain a new credential)", keyID)
	}
	if len(pub) != ed25519.PublicKeySize {
		return Claims{}, refuse(ErrUnknownKey, keyID, c.Actor,
			"the public key configured on this verifier for key id %d is %d bytes, not a %d-byte Ed25519 key: fix the verifier's configuration", keyID, len(pub), ed25519.PublicKeySize)
	}
	if !ed25519.Verify(pub, cred.GetClaims(), cred.GetSignature()) {
		return Claims{}, refuse(ErrBadSignature, keyID, c.Actor,
			"the signature does not match the public key configured for key id %d: the credential was forged or altered, or the verifier holds a different key under that id; obtain a new credential from the issuer", keyID)
	}
	if !now.Before(c.ExpiresAt) {
		return Claims{}, refuse(ErrExpired, keyID, c.Actor,
			"it expired at %s (now %s): renew the credential with the issuer", rfc3339(c.ExpiresAt), rfc3339(now))
	}
	if !c.IssuedAt.IsZero() && c.IssuedAt.After(now.Add(skew)) {
		return Claims{}, refuse(ErrNotYetValid, keyID, c.Actor,
			"it was issued at %s, %s ahead of this verifier's clock (tolerance %s): synchronise the issuer's and verifier's clocks (NTP)",
			rfc3339(c.IssuedAt), c.IssuedAt.Sub(now).Truncate(time.Second), skew)
	}
	return c, nil
}

// trimSentinel returns err's text without the sentinel's own text, which the
// VerifyError already shows.
func trimSentinel(err, sentinel error) string {
	s, p := err.Error(), sentinel.Error()+": "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
