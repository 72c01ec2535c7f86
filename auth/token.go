package auth

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/actr-go/actr/protocol"
)

// Token layout (all integers big-endian):
//
//	version        1 byte, 1
//	realm          4 bytes
//	serial         8 bytes
//	manufacturer   2-byte length (at most 255) + bytes
//	name           2-byte length (at most 255) + bytes
//	issued at      8 bytes, signed Unix seconds
//	expires at     8 bytes, signed Unix seconds
//	key id         4 bytes
//	signature      64 bytes: Ed25519 over signingPrefix + every byte above
//
// The prefix separates these signatures from any other use of the key.
const (
	tokenVersion  = 1
	maxNameLen    = 255
	signingPrefix = "actr-go credential v1\x00"
	fixedClaims   = 1 + 4 + 8 + 2 + 2 + 8 + 8 + 4
	maxTokenLen   = fixedClaims + 2*maxNameLen + ed25519.SignatureSize
)

// Claims are what a credential asserts.
type Claims struct {
	Actor     protocol.ActorID // realm, serial, manufacturer, name
	KeyID     uint32           // the issuer key that signed them
	IssuedAt  time.Time        // second precision
	ExpiresAt time.Time        // second precision
}

// String describes the claims; it is safe to log.
func (c Claims) String() string {
	return fmt.Sprintf("%s (key %d, expires %s)", c.Actor, c.KeyID, c.ExpiresAt.UTC().Format(time.RFC3339))
}

// appendClaims appends the signed part of a token.
func appendClaims(b []byte, c Claims) []byte {
	b = append(b, tokenVersion)
	b = binary.BigEndian.AppendUint32(b, c.Actor.Realm)
	b = binary.BigEndian.AppendUint64(b, c.Actor.Serial)
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Actor.Manufacturer)))
	b = append(b, c.Actor.Manufacturer...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(c.Actor.Name)))
	b = append(b, c.Actor.Name...)
	b = binary.BigEndian.AppendUint64(b, uint64(c.IssuedAt.Unix()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.ExpiresAt.Unix()))
	return binary.BigEndian.AppendUint32(b, c.KeyID)
}

// decodeToken splits a token into claims, the signed bytes and the
// signature. It never panics: any input gives claims or ErrMalformed.
func decodeToken(tok []byte) (c Claims, signed, sig []byte, err error) {
	bad := func(why string) (Claims, []byte, []byte, error) {
		return Claims{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformed, why)
	}
	if len(tok) > maxTokenLen {
		return bad("token too long")
	}
	if len(tok) < fixedClaims+ed25519.SignatureSize {
		return bad("token too short")
	}
	if tok[0] != tokenVersion {
		return bad(fmt.Sprintf("unknown token version %d", tok[0]))
	}
	p := tok[1:]
	c.Actor.Realm = binary.BigEndian.Uint32(p)
	c.Actor.Serial = binary.BigEndian.Uint64(p[4:])
	p = p[12:]
	str := func() (string, bool) {
		if len(p) < 2 {
			return "", false
		}
		n := int(binary.BigEndian.Uint16(p))
		if n > maxNameLen || len(p) < 2+n {
			return "", false
		}
		s := string(p[2 : 2+n])
		p = p[2+n:]
		return s, true
	}
	var ok bool
	if c.Actor.Manufacturer, ok = str(); !ok {
		return bad("bad manufacturer")
	}
	if c.Actor.Name, ok = str(); !ok {
		return bad("bad name")
	}
	if len(p) != 8+8+4+ed25519.SignatureSize {
		return bad("wrong length")
	}
	c.IssuedAt = time.Unix(int64(binary.BigEndian.Uint64(p)), 0)
	c.ExpiresAt = time.Unix(int64(binary.BigEndian.Uint64(p[8:])), 0)
	c.KeyID = binary.BigEndian.Uint32(p[16:])
	n := len(tok) - ed25519.SignatureSize
	return c, tok[:n], tok[n:], nil
}

func signingInput(signed []byte) []byte {
	return append([]byte(signingPrefix), signed...)
}
