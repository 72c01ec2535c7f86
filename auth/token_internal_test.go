package auth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
)

// fuzzKey is a fixed key so seed corpora and examples are reproducible.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func goodToken(t testing.TB) []byte {
	t.Helper()
	iss, err := NewIssuer(1, fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	cred, _, err := iss.IssueAt(protocol.ActorID{Realm: 3, Serial: 42, Manufacturer: "acme", Name: "alice"}, time.Unix(1_800_000_000, 0), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return cred.EncryptedToken
}

// The layout documented in token.go, byte by byte.
func TestTokenLayout(t *testing.T) {
	tok := goodToken(t)
	want := []byte{1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 42, 0, 4, 'a', 'c', 'm', 'e', 0, 5, 'a', 'l', 'i', 'c', 'e'}
	want = binary.BigEndian.AppendUint64(want, 1_800_000_000)
	want = binary.BigEndian.AppendUint64(want, 1_800_003_600)
	want = binary.BigEndian.AppendUint32(want, 1)
	if !bytes.Equal(tok[:len(want)], want) || len(tok) != len(want)+64 {
		t.Fatalf("token\n%x\nwant claims\n%x", tok, want)
	}
	if !ed25519.Verify(fuzzKey.Public().(ed25519.PublicKey), append([]byte("actr-go credential v1\x00"), want...), tok[len(want):]) {
		t.Fatal("signature is not over the prefix and the claims bytes")
	}
	// Without the prefix the signature must not verify.
	if ed25519.Verify(fuzzKey.Public().(ed25519.PublicKey), want, tok[len(want):]) {
		t.Fatal("signature verifies without the domain-separation prefix")
	}
}

func TestDecodeTokenTotal(t *testing.T) {
	tok := goodToken(t)
	c, signed, sig, err := decodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(appendClaims(nil, c), signed) || len(sig) != ed25519.SignatureSize {
		t.Fatal("re-encoding differs")
	}
	// Appending to the returned claims bytes must not overwrite the signature.
	before := sig[0]
	_ = append(signed, ^before)
	if sig[0] != before {
		t.Fatal("appending to the claims bytes overwrote the signature")
	}
	for n := range len(tok) {
		if _, _, _, err := decodeToken(tok[:n]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	for _, extra := range [][]byte{{0}, {0xff}, bytes.Repeat([]byte{1}, 100)} {
		if _, _, _, err := decodeToken(append(bytes.Clone(tok), extra...)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("trailing %d bytes: %v", len(extra), err)
		}
	}
}

func TestDecodeTokenRefusesOutOfRange(t *testing.T) {
	claims := func(mlen, nlen uint16, mbody, nbody int, iat, exp int64) []byte {
		b := []byte{tokenVersion, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1}
		b = binary.BigEndian.AppendUint16(b, mlen)
		b = append(b, strings.Repeat("m", mbody)...)
		b = binary.BigEndian.AppendUint16(b, nlen)
		b = append(b, strings.Repeat("n", nbody)...)
		b = binary.BigEndian.AppendUint64(b, uint64(iat))
		b = binary.BigEndian.AppendUint64(b, uint64(exp))
		b = binary.BigEndian.AppendUint32(b, 1)
		return append(b, make([]byte, ed25519.SignatureSize)...)
	}
	if _, _, _, err := decodeToken(claims(3, 4, 3, 4, 10, 20)); err != nil {
		t.Fatalf("control: %v", err)
	}
	if _, _, _, err := decodeToken(claims(255, 255, 255, 255, 0, maxUnix)); err != nil {
		t.Fatalf("limits: %v", err)
	}
	for name, tok := range map[string][]byte{
		"manufacturer 256":  claims(256, 0, 256, 0, 10, 20),
		"name 256":          claims(0, 256, 0, 256, 10, 20),
		"length overruns":   claims(200, 0, 3, 0, 10, 20),
		"length underruns":  claims(1, 4, 3, 4, 10, 20),
		"negative issue":    claims(0, 0, 0, 0, -1, 20),
		"issue after 9999":  claims(0, 0, 0, 0, maxUnix+1, maxUnix+2),
		"expiry after 9999": claims(0, 0, 0, 0, 10, maxUnix+1),
		"expiry = issue":    claims(0, 0, 0, 0, 10, 10),
		"expiry < issue":    claims(0, 0, 0, 0, 10, 9),
		"min int64":         claims(0, 0, 0, 0, -1<<63, -1<<63+1),
	} {
		if _, _, _, err := decodeToken(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeToken: any bytes decode to claims or ErrMalformed, never panic;
// decoded claims re-encode to exactly the claims bytes (one encoding per
// claims value) and satisfy the documented bounds.
func FuzzDecodeToken(f *testing.F) {
	tok := goodToken(f)
	f.Add(tok)
	f.Add([]byte{})
	f.Add([]byte{tokenVersion})
	f.Add(tok[:len(tok)-1])
	f.Add(append(bytes.Clone(tok), 0))
	f.Fuzz(func(t *testing.T, tok []byte) {
		c, signed, sig, err := decodeToken(tok)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v does not wrap ErrMalformed", err)
			}
			return
		}
		if re := appendClaims(nil, c); !bytes.Equal(re, signed) {
			t.Fatalf("claims %v re-encode to\n%x\nnot\n%x", c, re, signed)
		}
		if len(sig) != ed25519.SignatureSize || !bytes.Equal(append(bytes.Clone(signed), sig...), tok) {
			t.Fatal("claims bytes and signature do not make up the token")
		}
		if len(c.Actor.Manufacturer) > maxNameLen || len(c.Actor.Name) > maxNameLen ||
			!c.ExpiresAt.After(c.IssuedAt) || c.IssuedAt.Unix() < 0 || c.ExpiresAt.Unix() > maxUnix ||
			c.IssuedAt.Location() != time.UTC || c.ExpiresAt.Location() != time.UTC {
			t.Fatalf("claims out of bounds: %v", c)
		}
		_ = c.String()
	})
}

// The committed seed token is a golden file: it was signed by fuzzKey at
// 2027-01-15T08:00:00Z for an hour, and must keep verifying. If this fails,
// the token format changed: bump tokenVersion and the signing prefix.
func TestCommittedValidTokenStillVerifies(t *testing.T) {
	b, err := os.ReadFile("testdata/fuzz/FuzzDecodeToken/valid_token")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
		t.Fatalf("unexpected seed file:\n%s", b)
	}
	tok, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(tok), goodToken(t)) {
		t.Fatal("the issuer no longer produces the committed token")
	}
	v := NewVerifier(map[uint32]ed25519.PublicKey{1: fuzzKey.Public().(ed25519.PublicKey)})
	c, err := v.VerifyForAt(&protocol.AIdCredential{EncryptedToken: []byte(tok), TokenKeyId: new(uint32(1))},
		protocol.ActorID{Realm: 3, Serial: 42, Manufacturer: "acme", Name: "alice"}, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if c.ExpiresAt != time.Unix(1_800_003_600, 0).UTC() {
		t.Fatal(c)
	}
}
