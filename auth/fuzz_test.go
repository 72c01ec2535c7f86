package auth_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// fixedIssuer signs with a fixed key so seed corpora are reproducible.
func fixedIssuer(tb testing.TB) *auth.Issuer {
	iss, err := auth.NewIssuer(1, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)))
	if err != nil {
		tb.Fatal(err)
	}
	return iss
}

// fuzzHolder is a fixed holder key, for the bound seed.
var fuzzHolder = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)).Public().(ed25519.PublicKey)

// FuzzVerify feeds arbitrary claims, signatures and key ids to the
// verifier: it must answer with claims or a *VerifyError, never panic, and
// accept nothing but the two credentials the issuer signed, a bearer one
// and a holder-bound one (Ed25519 signatures, as Go checks them, are not
// malleable, and the signature covers exactly the claims bytes).
func FuzzVerify(f *testing.F) {
	iss := fixedIssuer(f)
	v := auth.NewVerifier(map[uint32]ed25519.PublicKey{1: iss.PublicKey()})
	now := time.Unix(1_800_000_000, 0)
	good, _, err := iss.IssueAt(alice, now, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	bound, _, err := iss.IssueBoundAt(alice, fuzzHolder, now, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good.Claims, good.Signature, uint32(1))
	f.Add(bound.Claims, bound.Signature, uint32(1))
	f.Add(good.Claims, good.Signature, uint32(2))
	f.Add(good.Claims, bound.Signature, uint32(1))
	f.Add([]byte{0x08, 0x01}, []byte{}, uint32(1))
	f.Add([]byte{}, []byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, claims, sig []byte, keyID uint32) {
		c, err := v.VerifyAt(&protocol.AIdCredential{KeyId: &keyID, Claims: claims, Signature: sig}, now)
		if err != nil {
			var ve *auth.VerifyError
			if !errors.As(err, &ve) || ve.Reason == nil {
				t.Fatalf("%v is not a *VerifyError with a reason", err)
			}
			return
		}
		signed := (bytes.Equal(claims, good.Claims) && bytes.Equal(sig, good.Signature) && !c.Bound()) ||
			(bytes.Equal(claims, bound.Claims) && bytes.Equal(sig, bound.Signature) && c.HolderKey.Equal(fuzzHolder))
		if !signed || keyID != 1 || c.Actor != alice {
			t.Fatalf("accepted a credential the issuer did not sign: claims %x signature %x key id %d", claims, sig, keyID)
		}
	})
}

// FuzzDecodeHeader: any text gives a credential or ErrMalformed, never a
// panic; what decodes re-encodes to an equal credential.
func FuzzDecodeHeader(f *testing.F) {
	good, _, err := fixedIssuer(f).IssueAt(alice, time.Unix(1_800_000_000, 0), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	bound, _, err := fixedIssuer(f).IssueBoundAt(alice, fuzzHolder, time.Unix(1_800_000_000, 0), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(auth.EncodeHeader(good))
	f.Add(auth.EncodeHeader(bound))
	f.Add("")
	f.Add("CAE=")
	f.Add("EgA=")
	f.Fuzz(func(t *testing.T, s string) {
		cred, err := auth.DecodeHeader(s)
		if err != nil {
			if !errors.Is(err, auth.ErrMalformed) {
				t.Fatalf("%v does not match ErrMalformed", err)
			}
			return
		}
		if len(s) > auth.MaxHeaderLen {
			t.Fatalf("accepted a %d-byte header", len(s))
		}
		again, err := auth.DecodeHeader(auth.EncodeHeader(cred))
		if err != nil {
			t.Fatalf("re-encoded header does not decode: %v", err)
		}
		if !proto.Equal(cred, again) {
			t.Fatal("header round trip changed the credential")
		}
	})
}
