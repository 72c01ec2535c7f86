package auth_test

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// FuzzVerify feeds arbitrary tokens to the verifier: it must answer with
// claims or a *VerifyError, never panic, and accept nothing the issuer did
// not sign.
func FuzzVerify(f *testing.F) {
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	iss, _ := auth.NewIssuer(1, key)
	v := auth.NewVerifier(map[uint32]ed25519.PublicKey{1: iss.PublicKey()})
	now := time.Unix(1_800_000_000, 0)
	good, _, _ := iss.IssueAt(alice, now, time.Hour)
	f.Add(good.EncryptedToken, uint32(1))
	f.Add([]byte{1}, uint32(1))
	f.Add([]byte{}, uint32(0))
	f.Fuzz(func(t *testing.T, tok []byte, keyID uint32) {
		c, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: tok, TokenKeyId: &keyID}, now)
		if err != nil {
			var ve *auth.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("%v is not a *VerifyError", err)
			}
			return
		}
		// Only the genuine token verifies (Ed25519 signatures are not malleable).
		if string(tok) != string(good.EncryptedToken) || c.Actor != alice {
			t.Fatalf("accepted a token the issuer did not sign: %x", tok)
		}
	})
}

func FuzzDecodeHeader(f *testing.F) {
	iss, _ := auth.NewIssuer(1, ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	good, _, _ := iss.IssueAt(alice, time.Unix(1_800_000_000, 0), time.Hour)
	f.Add(auth.EncodeHeader(good))
	f.Add("")
	f.Add("CgA")
	f.Fuzz(func(t *testing.T, s string) {
		cred, err := auth.DecodeHeader(s)
		if err != nil {
			if !errors.Is(err, auth.ErrMalformed) {
				t.Fatalf("%v does not match ErrMalformed", err)
			}
			return
		}
		if _, err := auth.DecodeHeader(auth.EncodeHeader(cred)); err != nil {
			t.Fatalf("re-encoded header does not decode: %v", err)
		}
	})
}
