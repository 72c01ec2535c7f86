package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Issuer signs credentials with an Ed25519 private key known by a key id.
// It is safe for concurrent use.
type Issuer struct {
	keyID uint32
	key   ed25519.PrivateKey
	pub   ed25519.PublicKey
}

// NewIssuer returns an issuer signing with key under keyID. It refuses a
// key of the wrong length, and one whose public half does not belong to
// its seed (a corrupted key would sign credentials nobody can verify).
// The issuer keeps its own copy of key.
func NewIssuer(keyID uint32, key ed25519.PrivateKey) (*Issuer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("auth: an Ed25519 private key has %d bytes, not %d", ed25519.PrivateKeySize, len(key))
	}
	derived := ed25519.NewKeyFromSeed(key.Seed())
	if subtle.ConstantTimeCompare(derived, key) != 1 {
		return nil, errors.New("auth: the Ed25519 private key is corrupt: its public half does not match its seed")
	}
	return &Issuer{keyID: keyID, key: derived, pub: derived.Public().(ed25519.PublicKey)}, nil
}

// GenerateIssuer returns an issuer with a fresh key from crypto/rand.
func GenerateIssuer(keyID uint32) (*Issuer, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generating a key: %w", err)
	}
	return NewIssuer(keyID, key)
}

// KeyID returns the id verifiers know the issuer's key by.
func (i *Issuer) KeyID() uint32 { return i.keyID }

// PublicKey returns the key verifiers need (a copy).
func (i *Issuer) PublicKey() ed25519.PublicKey { return append(ed25519.PublicKey(nil), i.pub...) }

// PrivateKey returns the signing key (a copy); keep it secret.
func (i *Issuer) PrivateKey() ed25519.PrivateKey { return append(ed25519.PrivateKey(nil), i.key...) }

// Issue signs a credential for actor, valid from now for ttl.
func (i *Issuer) Issue(actor protocol.ActorID, ttl time.Duration) (*protocol.AIdCredential, Claims, error) {
	return i.IssueAt(actor, time.Now(), ttl)
}

// IssueAt signs a bearer credential for actor, valid from now for ttl.
// Times are kept to the second: IssuedAt is now rounded down, ExpiresAt is
// now+ttl rounded down, so the credential never outlives ttl. It refuses the
// zero actor, a ttl under one second (which could round to an empty validity
// window), an actor that cannot be written in actr's text form (see
// [protocol.ActorID.ActrString]), and times outside 1970–9999. Give actors
// a version: actr refuses a credential without one.
func (i *Issuer) IssueAt(actor protocol.ActorID, now time.Time, ttl time.Duration) (*protocol.AIdCredential, Claims, error) {
	return i.issue(actor, nil, now, ttl)
}

// IssueBoundAt is IssueAt for a credential bound to holder, the actor's own
// Ed25519 public key: wherever proofs are required, only the holder of the
// matching private key can use it ([Prove]).
func (i *Issuer) IssueBoundAt(actor protocol.ActorID, holder ed25519.PublicKey, now time.Time, ttl time.Duration) (*protocol.AIdCredential, Claims, error) {
	if len(holder) != ed25519.PublicKeySize {
		return nil, Claims{}, fmt.Errorf("auth: a holder key must be a %d-byte Ed25519 public key, not %d bytes", ed25519.PublicKeySize, len(holder))
	}
	return i.issue(actor, holder, now, ttl)
}

func (i *Issuer) issue(actor protocol.ActorID, holder ed25519.PublicKey, now time.Time, ttl time.Duration) (*protocol.AIdCredential, Claims, error) {
	switch {
	case actor.IsZero():
		return nil, Claims{}, errors.New("auth: cannot issue a credential for the zero ActorID")
	case ttl <= 0:
		return nil, Claims{}, fmt.Errorf("auth: a credential's lifetime must be positive, not %s", ttl)
	case ttl < time.Second:
		return nil, Claims{}, fmt.Errorf("auth: a credential's lifetime must be at least one second, not %s", ttl)
	}
	if err := checkActrForm(actor); err != nil {
		return nil, Claims{}, err
	}
	iat, exp := now.Unix(), now.Add(ttl).Unix()
	if iat < 0 || exp > maxUnix || exp <= iat {
		return nil, Claims{}, fmt.Errorf("auth: credential validity %s to %s is outside the supported years 1970 to 9999",
			rfc3339(now), rfc3339(now.Add(ttl)))
	}
	c := Claims{Actor: actor, KeyID: i.keyID, IssuedAt: time.Unix(iat, 0).UTC(), ExpiresAt: time.Unix(exp, 0).UTC()}
	if holder != nil {
		c.HolderKey = append(ed25519.PublicKey(nil), holder...)
	}
	claims := encodeClaims(c)
	return &protocol.AIdCredential{
		KeyId:     proto.Uint32(i.keyID),
		Claims:    claims,
		Signature: ed25519.Sign(i.key, claims),
	}, c, nil
}
