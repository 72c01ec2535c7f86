package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// Issuer signs credentials with an Ed25519 private key.
type Issuer struct {
	keyID uint32
	key   ed25519.PrivateKey
}

// NewIssuer returns an issuer signing with key under keyID.
func NewIssuer(keyID uint32, key ed25519.PrivateKey) (*Issuer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("auth: an Ed25519 private key has %d bytes, not %d", ed25519.PrivateKeySize, len(key))
	}
	return &Issuer{keyID: keyID, key: key}, nil
}

// GenerateIssuer returns an issuer with a fresh random key.
func GenerateIssuer(keyID uint32) (*Issuer, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("auth: generating a key: %w", err)
	}
	return NewIssuer(keyID, key)
}

// KeyID returns the id verifiers know the issuer's key by.
func (i *Issuer) KeyID() uint32 { return i.keyID }

// PublicKey returns the key verifiers need.
func (i *Issuer) PublicKey() ed25519.PublicKey { return i.key.Public().(ed25519.PublicKey) }

// PrivateKey returns the signing key; keep it secret.
func (i *Issuer) PrivateKey() ed25519.PrivateKey { return i.key }

// Issue signs a credential for actor valid for ttl from now.
func (i *Issuer) Issue(actor protocol.ActorID, ttl time.Duration) (*protocol.AIdCredential, Claims, error) {
	return i.IssueAt(actor, time.Now(), ttl)
}

// IssueAt signs a credential for actor valid from now for ttl.
func (i *Issuer) IssueAt(actor protocol.ActorID, now time.Time, ttl time.Duration) (*protocol.AIdCredential, Claims, error) {
	if actor.IsZero() {
		return nil, Claims{}, errors.New("auth: cannot issue a credential for the zero ActorID")
	}
	if ttl <= 0 {
		return nil, Claims{}, fmt.Errorf("auth: credential lifetime must be positive, not %s", ttl)
	}
	if len(actor.Manufacturer) > maxNameLen || len(actor.Name) > maxNameLen {
		return nil, Claims{}, fmt.Errorf("auth: actor type names are limited to %d bytes", maxNameLen)
	}
	c := Claims{Actor: actor, KeyID: i.keyID, IssuedAt: now.Truncate(time.Second), ExpiresAt: now.Add(ttl).Truncate(time.Second)}
	tok := appendClaims(make([]byte, 0, maxTokenLen), c)
	tok = append(tok, ed25519.Sign(i.key, signingInput(tok))...)
	return &protocol.AIdCredential{EncryptedToken: tok, TokenKeyId: proto.Uint32(i.keyID)}, c, nil
}
