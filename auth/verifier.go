package auth

import (
	"crypto/ed25519"
	"fmt"
	"sync"
	"time"

	"github.com/actr-go/actr/protocol"
)

// DefaultClockSkew is how far in the future a credential's issue time may
// be before it is refused, to tolerate clocks that disagree a little.
const DefaultClockSkew = 30 * time.Second

// Verifier checks credentials against the public keys it knows. It is safe
// for concurrent use; keys can be added and removed while it is in use.
type Verifier struct {
	mu   sync.RWMutex
	keys map[uint32]ed25519.PublicKey
	skew time.Duration
}

// NewVerifier returns a verifier that knows keys (by key id).
func NewVerifier(keys map[uint32]ed25519.PublicKey) *Verifier {
	v := &Verifier{keys: make(map[uint32]ed25519.PublicKey, len(keys)), skew: DefaultClockSkew}
	for id, k := range keys {
		v.keys[id] = k
	}
	return v
}

// AddKey makes the verifier accept credentials signed by pub under keyID.
func (v *Verifier) AddKey(keyID uint32, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("auth: an Ed25519 public key has %d bytes, not %d", ed25519.PublicKeySize, len(pub))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.keys[keyID] = pub
	return nil
}

// RemoveKey stops accepting credentials signed under keyID.
func (v *Verifier) RemoveKey(keyID uint32) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.keys, keyID)
}

// SetClockSkew sets the tolerance for issue times in the future.
func (v *Verifier) SetClockSkew(d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.skew = d
}

// Verify checks cred's signature and validity now.
func (v *Verifier) Verify(cred *protocol.AIdCredential) (Claims, error) {
	return v.VerifyAt(cred, time.Now())
}

// VerifyFor checks cred now and that it names actor.
func (v *Verifier) VerifyFor(cred *protocol.AIdCredential, actor protocol.ActorID) (Claims, error) {
	return v.VerifyForAt(cred, actor, time.Now())
}

// VerifyForAt checks cred at now and that it names actor.
func (v *Verifier) VerifyForAt(cred *protocol.AIdCredential, actor protocol.ActorID, now time.Time) (Claims, error) {
	c, err := v.VerifyAt(cred, now)
	if err != nil {
		return Claims{}, err
	}
	if c.Actor != actor {
		return Claims{}, refuse(ErrWrongActor, c.KeyID, c.Actor, "it was issued to %s, presented by %s", c.Actor, actor)
	}
	return c, nil
}

// VerifyAt checks cred's signature and validity at now.
func (v *Verifier) VerifyAt(cred *protocol.AIdCredential, now time.Time) (Claims, error) {
	if cred == nil {
		return Claims{}, refuse(ErrMalformed, 0, protocol.ActorID{}, "no credential: present the one your signaling server issued")
	}
	keyID := cred.GetTokenKeyId()
	c, signed, sig, err := decodeToken(cred.GetEncryptedToken())
	if err != nil {
		return Claims{}, refuse(ErrMalformed, keyID, protocol.ActorID{}, "%v", err)
	}
	v.mu.RLock()
	pub, ok := v.keys[c.KeyID]
	skew := v.skew
	v.mu.RUnlock()
	if !ok {
		return Claims{}, refuse(ErrUnknownKey, c.KeyID, c.Actor, "this verifier does not know key id %d: configure the issuer's public key", c.KeyID)
	}
	if !ed25519.Verify(pub, signingInput(signed), sig) {
		return Claims{}, refuse(ErrBadSignature, c.KeyID, c.Actor, "register again to get a genuine credential")
	}
	if c.KeyID != keyID {
		return Claims{}, refuse(ErrBadSignature, c.KeyID, c.Actor, "the credential's key id %d differs from the signed one", keyID)
	}
	if !now.Before(c.ExpiresAt) {
		return Claims{}, refuse(ErrExpired, c.KeyID, c.Actor, "it expired at %s: renew it with the signaling server", c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if c.IssuedAt.After(now.Add(skew)) {
		return Claims{}, refuse(ErrNotYetValid, c.KeyID, c.Actor, "issued at %s, in the future: check the clocks", c.IssuedAt.UTC().Format(time.RFC3339))
	}
	return c, nil
}
