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

// FuzzVerify feeds arbitrary tokens and key ids to the verifier: it must
// answer with claims or a *VerifyError, never panic, and accept nothing but
// the token the issuer signed (Ed25519 signatures, as Go checks them, are
// not malleable, and the encoding is canonical).
func FuzzVerify(f *testing.F) {
	iss := fixedIssuer(f)
	v := auth.NewVerifier(map[uint32]ed25519.PublicKey{1: iss.PublicKey()})
	now := time.Unix(1_800_000_000, 0)
	good, _, err := iss.IssueAt(alice, now, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good.EncryptedToken, uint32(1))
	f.Add(good.EncryptedToken, uint32(2))
	f.Add([]byte{1}, uint32(1))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, tok []byte, keyID uint32) {
		c, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: tok, TokenKeyId: &keyID}, now)
		if err != nil {
			var ve *auth.VerifyError
			if !errors.As(err, &ve) || ve.Reason == nil {
				t.Fatalf("%v is not a *VerifyError with a reason", err)
			}
			return
		}
		if !bytes.Equal(tok, good.EncryptedToken) || keyID != 1 || c.Actor != alice {
			t.Fatalf("accepted a credential the issuer did not sign: %x key id %d", tok, keyID)
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
	f.Add(auth.EncodeHeader(good))
	f.Add("")
	f.Add("CgA")
	f.Add("EAE")
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
