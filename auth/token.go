package auth

import (
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// A credential is the actr runtime's AIdCredential:
//
//	key_id    (1)  the id of the issuer key that signed it
//	claims    (2)  an encoded IdentityClaims
//	signature (3)  Ed25519 over exactly the claims bytes, 64 bytes
//
// and IdentityClaims are
//
//	realm_id   (1)    the actor's realm
//	actor_id   (2)    the actor in actr's text form (protocol.ActorID.ActrString)
//	expires_at (3)    Unix seconds
//	holder_key (100)  actr-go: the actor's own Ed25519 public key, when bound
//	issued_at  (101)  actr-go: Unix seconds
//
// so a credential issued here verifies in an actr deployment and one issued
// there verifies here. The key id is outside the signed bytes (actr's
// layout): relabelling a credential with another key id only makes it fail
// under that key.
//
// Decoding is total and strict: any bytes either give claims or are
// refused with [ErrMalformed], never panic. Claims over [maxClaimsLen]
// bytes, a missing realm, actor or expiry, an actor id that is not actr's
// form or names another realm, a holder key that is not 32 bytes and times
// outside 1970–9999 are refused.
const (
	maxNameLen   = 255 // bytes of manufacturer, name or version
	maxClaimsLen = 1024
	maxUnix      = 253402300799 // 9999-12-31T23:59:59Z
)

// Claims are what a credential asserts. They hold no secret, but remember
// that a credential without a holder key is a bearer credential.
type Claims struct {
	Actor     protocol.ActorID // realm, serial, manufacturer, name, version
	KeyID     uint32           // id of the issuer key that signed them
	IssuedAt  time.Time        // second precision, UTC; zero when the issuer did not say (actr's do not)
	ExpiresAt time.Time        // second precision, UTC
	// HolderKey is the actor's own Ed25519 public key when the credential is
	// bound to it: only the holder of the private key can then prove to be
	// the actor ([Prove]). Nil for a bearer credential.
	HolderKey ed25519.PublicKey
}

// Bound reports whether the credential is bound to a holder key.
func (c Claims) Bound() bool { return len(c.HolderKey) == ed25519.PublicKeySize }

// String describes the claims; it is safe to log (it holds no token bytes,
// and the actor's text form escapes every unusual byte).
func (c Claims) String() string {
	bound := "bearer"
	if c.Bound() {
		bound = "holder-bound"
	}
	return fmt.Sprintf("%s (key id %d, %s, issued %s, expires %s)", c.Actor, c.KeyID, bound, rfc3339(c.IssuedAt), rfc3339(c.ExpiresAt))
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

// encodeClaims returns the claims bytes of c. The caller has checked that
// the actor has actr's text form.
func encodeClaims(c Claims) []byte {
	m := &protocol.IdentityClaims{
		RealmId:   proto.Uint32(c.Actor.Realm),
		ActorId:   proto.String(c.Actor.ActrString()),
		ExpiresAt: proto.Uint64(uint64(c.ExpiresAt.Unix())),
	}
	if c.Bound() {
		m.HolderKey = append([]byte(nil), c.HolderKey...)
	}
	if !c.IssuedAt.IsZero() {
		m.IssuedAt = proto.Uint64(uint64(c.IssuedAt.Unix()))
	}
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(m) // no field can fail to marshal
	return b
}

// decodeClaims parses claims bytes. It never panics: any input gives claims
// or an error wrapping ErrMalformed.
func decodeClaims(b []byte) (Claims, error) {
	bad := func(format string, args ...any) (Claims, error) {
		return Claims{}, fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
	switch {
	case len(b) == 0:
		return bad("no claims")
	case len(b) > maxClaimsLen:
		return bad("claims of %d bytes are over the %d-byte limit", len(b), maxClaimsLen)
	}
	var m protocol.IdentityClaims
	if err := proto.Unmarshal(b, &m); err != nil {
		return bad("claims are not an IdentityClaims message")
	}
	switch {
	case m.RealmId == nil:
		return bad("claims name no realm")
	case m.ActorId == nil:
		return bad("claims name no actor")
	case m.ExpiresAt == nil:
		return bad("claims have no expiry")
	}
	actor, err := parseClaimsActor(m.GetActorId())
	if err != nil {
		return bad("claims' actor: %v", err)
	}
	if actor.Realm != m.GetRealmId() {
		return bad("claims name realm %d but an actor of realm %d", m.GetRealmId(), actor.Realm)
	}
	if len(actor.Manufacturer) > maxNameLen || len(actor.Name) > maxNameLen || len(actor.Version) > maxNameLen {
		return bad("a manufacturer, name or version over %d bytes", maxNameLen)
	}
	exp := m.GetExpiresAt()
	if exp == 0 || exp > maxUnix {
		return bad("expiry time %d is outside the supported range", exp)
	}
	c := Claims{Actor: actor, ExpiresAt: time.Unix(int64(exp), 0).UTC()}
	if m.IssuedAt != nil {
		iat := m.GetIssuedAt()
		if iat >= exp {
			return bad("expiry time %d is not after the issue time %d", exp, iat)
		}
		c.IssuedAt = time.Unix(int64(iat), 0).UTC()
	}
	if m.HolderKey != nil {
		if len(m.HolderKey) != ed25519.PublicKeySize {
			return bad("holder key of %d bytes is not a %d-byte Ed25519 key", len(m.HolderKey), ed25519.PublicKeySize)
		}
		c.HolderKey = ed25519.PublicKey(append([]byte(nil), m.HolderKey...))
	}
	return c, nil
}

// checkActrForm reports why actor cannot be put in a credential, if it
// cannot: actr's text form escapes nothing, and requires a version.
func checkActrForm(actor protocol.ActorID) error {
	switch {
	case len(actor.Manufacturer) > maxNameLen || len(actor.Name) > maxNameLen || len(actor.Version) > maxNameLen:
		return fmt.Errorf("auth: manufacturer, name and version are limited to %d bytes each in a credential (have %d, %d and %d)",
			maxNameLen, len(actor.Manufacturer), len(actor.Name), len(actor.Version))
	}
	back, err := parseClaimsActor(actor.ActrString())
	if err != nil || back != actor || strings.ContainsAny(actor.Manufacturer+actor.Name, ":@/") {
		return fmt.Errorf("auth: %s cannot be written in actr's form %q: manufacturer and name may not contain ':', '@' or '/'", actor, actor.ActrString())
	}
	return nil
}

// parseClaimsActor is protocol.ParseActrString, except that it also takes
// an empty version ("2a@1/acme:echo:"). actr requires a version, and our
// signaling server always registers one (protocol.DefaultVersion), so such
// credentials come only from an Issuer used directly, for an actor given
// no version; they verify here and are refused by actr's nodes.
func parseClaimsActor(s string) (protocol.ActorID, error) {
	if !strings.HasSuffix(s, ":") {
		return protocol.ParseActrString(s)
	}
	id, err := protocol.ParseActrString(s + "v")
	id.Version = ""
	return id, err
}
