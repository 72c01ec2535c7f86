package auth

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/actr-go/actr/protocol"
)

// A token is the byte string carried in AIdCredential.encrypted_token (the
// field name is historical: the token is signed, not encrypted). All
// integers are big-endian; the layout is fixed, so every Claims value has
// exactly one encoding.
//
//	offset  size  field
//	0       1     version, 1
//	1       4     realm id (uint32)
//	5       8     serial number (uint64)
//	13      2     manufacturer length M (uint16, at most 255)
//	15      M     manufacturer bytes (any bytes; not required to be UTF-8)
//	15+M    2     name length N (uint16, at most 255)
//	17+M    N     name bytes
//	17+M+N  8     issued at, Unix seconds (int64, 0 ≤ t ≤ 253402300799)
//	25+M+N  8     expires at, Unix seconds (int64, issued at < t ≤ 253402300799)
//	33+M+N  4     key id (uint32), equal to AIdCredential.token_key_id
//	37+M+N  64    Ed25519 signature
//
// Bytes 0 to 37+M+N (the "claims bytes") are signed: the signature is
// Ed25519 over the domain-separation prefix "actr-go credential v1\x00"
// followed by the claims bytes, so a signature made by this key for any
// other purpose can never pass as a credential, and the version byte is
// itself signed. A token is therefore 101 to 611 bytes long.
//
// Decoding is total and strict: any byte string either decodes to claims
// or is refused with [ErrMalformed], never panics; an unknown version, a
// length over 255, a time outside the range above, an empty validity window,
// a missing byte or a trailing byte is refused. The key id is inside the
// signed bytes so a credential cannot be re-labelled to another key.
//
// The time range is 1970-01-01 to 9999-12-31 UTC: it keeps every decoded
// time representable and formattable, and no honest issuer needs more.
const (
	tokenVersion  = 1
	maxNameLen    = 255
	signingPrefix = "actr-go credential v1\x00"
	fixedClaims   = 1 + 4 + 8 + 2 + 2 + 8 + 8 + 4 // claims bytes with empty names
	minTokenLen   = fixedClaims + ed25519.SignatureSize
	maxTokenLen   = fixedClaims + 2*maxNameLen + ed25519.SignatureSize
	maxUnix       = 253402300799 // 9999-12-31T23:59:59Z
)

// Claims are what a credential asserts. They hold no secret, but remember
// that the token carrying them is a bearer credential.
type Claims struct {
	Actor     protocol.ActorID // realm, serial, manufacturer, name
	KeyID     uint32           // id of the issuer key that signed them
	IssuedAt  time.Time        // second precision, UTC
	ExpiresAt time.Time        // second precision, UTC
}

// String describes the claims; it is safe to log (it holds no token bytes,
// and the actor's text form escapes every unusual byte).
func (c Claims) String() string {
	return fmt.Sprintf("%s (key id %d, issued %s, expires %s)", c.Actor, c.KeyID, rfc3339(c.IssuedAt), rfc3339(c.ExpiresAt))
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// appendClaims appends the claims bytes of c to b. The caller guarantees
// that the names fit (at most maxNameLen bytes each).
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

// decodeToken splits tok into its claims, the claims bytes and the
// signature. It never panics: any input gives claims or an error wrapping
// ErrMalformed. The returned slices alias tok.
func decodeToken(tok []byte) (c Claims, signed, sig []byte, err error) {
	bad := func(format string, args ...any) (Claims, []byte, []byte, error) {
		return Claims{}, nil, nil, fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	switch {
	case len(tok) == 0:
		return bad("empty token")
	case tok[0] != tokenVersion:
		return bad("unknown token version %d (this verifier understands version %d)", tok[0], tokenVersion)
	case len(tok) < minTokenLen:
		return bad("token of %d bytes is shorter than the minimum %d", len(tok), minTokenLen)
	case len(tok) > maxTokenLen:
		return bad("token of %d bytes is longer than the maximum %d", len(tok), maxTokenLen)
	}
	p := tok[1:]
	c.Actor.Realm = binary.BigEndian.Uint32(p)
	c.Actor.Serial = binary.BigEndian.Uint64(p[4:])
	p = p[12:]
	// str reads a length-prefixed string; the length checks above guarantee
	// the two length bytes are present, the bounds are checked here.
	str := func(what string) (string, error) {
		if len(p) < 2 {
			return "", fmt.Errorf("%w: token ends inside the %s length", ErrMalformed, what)
		}
		n := int(binary.BigEndian.Uint16(p))
		if n > maxNameLen {
			return "", fmt.Errorf("%w: %s of %d bytes is over the %d-byte limit", ErrMalformed, what, n, maxNameLen)
		}
		if len(p)-2 < n {
			return "", fmt.Errorf("%w: token ends inside the %s", ErrMalformed, what)
		}
		s := string(p[2 : 2+n])
		p = p[2+n:]
		return s, nil
	}
	if c.Actor.Manufacturer, err = str("manufacturer"); err != nil {
		return Claims{}, nil, nil, err
	}
	if c.Actor.Name, err = str("name"); err != nil {
		return Claims{}, nil, nil, err
	}
	if want := 8 + 8 + 4 + ed25519.SignatureSize; len(p) != want {
		if len(p) < want {
			return bad("token is %d bytes short", want-len(p))
		}
		return bad("%d trailing bytes after the signature", len(p)-want)
	}
	iat := int64(binary.BigEndian.Uint64(p))
	exp := int64(binary.BigEndian.Uint64(p[8:]))
	switch {
	case iat < 0 || iat > maxUnix:
		return bad("issue time %d is outside the supported range", iat)
	case exp <= iat || exp > maxUnix:
		return bad("expiry time %d is not after the issue time %d or outside the supported range", exp, iat)
	}
	c.IssuedAt = time.Unix(iat, 0).UTC()
	c.ExpiresAt = time.Unix(exp, 0).UTC()
	c.KeyID = binary.BigEndian.Uint32(p[16:])
	n := len(tok) - ed25519.SignatureSize
	return c, tok[:n:n], tok[n:], nil
}

// signingInput is what the Ed25519 signature covers.
func signingInput(claims []byte) []byte {
	b := make([]byte, 0, len(signingPrefix)+len(claims))
	return append(append(b, signingPrefix...), claims...)
}
