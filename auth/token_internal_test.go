package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// fuzzKey is a fixed key so seed corpora and examples are reproducible.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

var alice = protocol.ActorID{Realm: 3, Serial: 42, Manufacturer: "acme", Name: "alice", Version: "1.0"}

func goodCredential(t testing.TB) *protocol.AIdCredential {
	t.Helper()
	iss, err := NewIssuer(1, fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, _, err := iss.IssueAt(alice, time.Unix(1_800_000_000, 0), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// The claims layout documented in token.go, byte by byte: IdentityClaims
// with fields in number order, and the signature over exactly those bytes,
// with no prefix (actr's rule).
func TestClaimsLayout(t *testing.T) {
	cred := goodCredential(t)
	actor := "2a@3/acme:alice:1.0"
	want := []byte{0x08, 3, 0x12, byte(len(actor))}
	want = append(want, actor...)
	want = append(want, 0x18)
	want = append(want, varintBytes(1_800_003_600)...)
	want = append(want, 0xa8, 0x06) // field 101, varint
	want = append(want, varintBytes(1_800_000_000)...)
	if !bytes.Equal(cred.GetClaims(), want) {
		t.Fatalf("claims\n%x\nwant\n%x", cred.GetClaims(), want)
	}
	if cred.GetKeyId() != 1 || len(cred.GetSignature()) != ed25519.SignatureSize {
		t.Fatalf("key id %d, signature of %d bytes", cred.GetKeyId(), len(cred.GetSignature()))
	}
	if !ed25519.Verify(fuzzKey.Public().(ed25519.PublicKey), want, cred.GetSignature()) {
		t.Fatal("the signature is not over the claims bytes alone")
	}
}

func varintBytes(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func encode(t testing.TB, m *protocol.IdentityClaims) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeClaimsRefusesWhatActrWouldNot(t *testing.T) {
	ok := func() *protocol.IdentityClaims {
		return &protocol.IdentityClaims{RealmId: proto.Uint32(3), ActorId: proto.String("2a@3/acme:alice:1.0"), ExpiresAt: proto.Uint64(20)}
	}
	if c, err := decodeClaims(encode(t, ok())); err != nil || c.Actor != alice || !c.IssuedAt.IsZero() || c.Bound() {
		t.Fatalf("control: %v %v", c, err)
	}
	bound := ok()
	bound.HolderKey = bytes.Repeat([]byte{9}, 32)
	bound.IssuedAt = proto.Uint64(10)
	if c, err := decodeClaims(encode(t, bound)); err != nil || !c.Bound() || c.IssuedAt.Unix() != 10 {
		t.Fatalf("bound: %v %v", c, err)
	}
	cases := map[string]func(*protocol.IdentityClaims){
		"no realm":            func(m *protocol.IdentityClaims) { m.RealmId = nil },
		"no actor":            func(m *protocol.IdentityClaims) { m.ActorId = nil },
		"no expiry":           func(m *protocol.IdentityClaims) { m.ExpiresAt = nil },
		"zero expiry":         func(m *protocol.IdentityClaims) { m.ExpiresAt = proto.Uint64(0) },
		"expiry after 9999":   func(m *protocol.IdentityClaims) { m.ExpiresAt = proto.Uint64(maxUnix + 1) },
		"issued at expiry":    func(m *protocol.IdentityClaims) { m.IssuedAt = proto.Uint64(20) },
		"other realm":         func(m *protocol.IdentityClaims) { m.RealmId = proto.Uint32(4) },
		"actor in our form":   func(m *protocol.IdentityClaims) { m.ActorId = proto.String(alice.String()) },
		"four-part type":      func(m *protocol.IdentityClaims) { m.ActorId = proto.String("2a@3/acme:alice:1:0") },
		"holder key 31 bytes": func(m *protocol.IdentityClaims) { m.HolderKey = make([]byte, 31) },
		"long name": func(m *protocol.IdentityClaims) {
			m.ActorId = proto.String("2a@3/acme:" + strings.Repeat("n", 256) + ":1")
		},
	}
	for name, edit := range cases {
		m := ok()
		edit(m)
		if _, err := decodeClaims(encode(t, m)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not proto": {0xff, 0xff},
		"too long":  bytes.Repeat([]byte{0x3a, 0x00}, maxClaimsLen/2+1), // field 7, empty, repeated
	} {
		if _, err := decodeClaims(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// An actr-issued credential (no issued_at, no holder key) for a versioned
// actor verifies here, and one without a version ("...:") is ours alone.
func TestEmptyVersionIsOursOnly(t *testing.T) {
	iss, _ := NewIssuer(1, fuzzKey)
	noVersion := alice
	noVersion.Version = ""
	cred, c, err := iss.IssueAt(noVersion, time.Unix(1_800_000_000, 0), time.Hour)
	if err != nil || c.Actor != noVersion {
		t.Fatal(c, err)
	}
	var m protocol.IdentityClaims
	if err := proto.Unmarshal(cred.GetClaims(), &m); err != nil || m.GetActorId() != "2a@3/acme:alice:" {
		t.Fatalf("%q %v", m.GetActorId(), err)
	}
	if _, err := protocol.ParseActrString(m.GetActorId()); err == nil {
		t.Fatal("actr's parser takes an empty version")
	}
	for _, bad := range []protocol.ActorID{
		{Realm: 1, Serial: 1, Manufacturer: "a:b", Name: "c", Version: "1"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "c/d", Version: "1"},
		{Realm: 1, Serial: 1, Manufacturer: "a", Name: "c", Version: "1:2"},
	} {
		if _, _, err := iss.IssueAt(bad, time.Unix(1_800_000_000, 0), time.Hour); err == nil {
			t.Errorf("issued a credential for %s, which has no faithful actr form", bad)
		}
	}
}

// FuzzDecodeClaims: any bytes decode to claims or ErrMalformed, never
// panic; decoded claims are within the documented bounds and re-encode to
// claims that decode to the same value.
func FuzzDecodeClaims(f *testing.F) {
	f.Add(goodCredential(f).GetClaims())
	f.Add([]byte{})
	f.Add([]byte{0x08, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeClaims(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(c.Actor.Manufacturer) > maxNameLen || len(c.Actor.Name) > maxNameLen || len(c.Actor.Version) > maxNameLen ||
			c.ExpiresAt.Unix() > maxUnix || c.ExpiresAt.Unix() <= 0 || (!c.IssuedAt.IsZero() && !c.ExpiresAt.After(c.IssuedAt)) ||
			(c.HolderKey != nil && !c.Bound()) {
			t.Fatalf("claims out of bounds: %v", c)
		}
		back, err := decodeClaims(encodeClaims(c))
		if err != nil || back.Actor != c.Actor || !back.ExpiresAt.Equal(c.ExpiresAt) || !back.IssuedAt.Equal(c.IssuedAt) ||
			!bytes.Equal(back.HolderKey, c.HolderKey) {
			t.Fatalf("claims %v re-decode to %v, %v", c, back, err)
		}
		_ = c.String()
	})
}

// The committed credential is a golden file: signed by fuzzKey at
// 2027-01-15T08:00:00Z for an hour, it must keep verifying. If this fails,
// the credential format changed, and with it compatibility with actr's.
func TestCommittedCredentialStillVerifies(t *testing.T) {
	b, err := os.ReadFile("testdata/credential.hex")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		t.Fatalf("testdata/credential.hex: want claims and signature in hex, got %d fields", len(lines))
	}
	claims, err1 := hex.DecodeString(lines[0])
	sig, err2 := hex.DecodeString(lines[1])
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	good := goodCredential(t)
	if !bytes.Equal(claims, good.GetClaims()) || !bytes.Equal(sig, good.GetSignature()) {
		t.Fatal("the issuer no longer produces the committed credential")
	}
	v := NewVerifier(map[uint32]ed25519.PublicKey{1: fuzzKey.Public().(ed25519.PublicKey)})
	c, err := v.VerifyForAt(&protocol.AIdCredential{KeyId: proto.Uint32(1), Claims: claims, Signature: sig}, alice, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpiresAt != time.Unix(1_800_003_600, 0).UTC() {
		t.Fatal(c)
	}
}
