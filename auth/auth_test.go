package auth_test

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

var alice = protocol.ActorID{Realm: 3, Serial: 42, Manufacturer: "acme", Name: "alice"}

func setup(t *testing.T) (*auth.Issuer, *auth.Verifier) {
	t.Helper()
	iss, err := auth.GenerateIssuer(5)
	if err != nil {
		t.Fatal(err)
	}
	return iss, auth.NewVerifier(map[uint32]ed25519.PublicKey{5: iss.PublicKey()})
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	iss, v := setup(t)
	now := time.Unix(1_800_000_000, 0)
	cred, claims, err := iss.IssueAt(alice, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	got, err := v.VerifyForAt(cred, alice, now.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got != claims || got.Actor != alice || got.KeyID != 5 || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("claims %+v, issued %+v", got, claims)
	}
}

func TestVerifyRefusals(t *testing.T) {
	iss, v := setup(t)
	now := time.Unix(1_800_000_000, 0)
	good, _, _ := iss.IssueAt(alice, now, time.Hour)
	forger, _ := auth.GenerateIssuer(5)
	forged, _, _ := forger.IssueAt(alice, now, time.Hour)
	stranger, _ := auth.GenerateIssuer(6)
	unknown, _, _ := stranger.IssueAt(alice, now, time.Hour)
	future, _, _ := iss.IssueAt(alice, now.Add(time.Hour), time.Hour)
	mismatched := &protocol.AIdCredential{EncryptedToken: good.EncryptedToken, TokenKeyId: new(uint32)}
	for _, tc := range []struct {
		name string
		cred *protocol.AIdCredential
		at   time.Time
		as   protocol.ActorID
		want error
	}{
		{"nil", nil, now, alice, auth.ErrMalformed},
		{"empty", &protocol.AIdCredential{}, now, alice, auth.ErrMalformed},
		{"expired", good, now.Add(time.Hour), alice, auth.ErrExpired},
		{"not yet valid", future, now, alice, auth.ErrNotYetValid},
		{"wrong key", forged, now, alice, auth.ErrBadSignature},
		{"unknown key id", unknown, now, alice, auth.ErrUnknownKey},
		{"key id mismatch", mismatched, now, alice, auth.ErrBadSignature},
		{"wrong actor", good, now, protocol.ActorID{Realm: 3, Serial: 43, Manufacturer: "acme", Name: "alice"}, auth.ErrWrongActor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := v.VerifyForAt(tc.cred, tc.as, tc.at)
			var ve *auth.VerifyError
			if !errors.Is(err, tc.want) || !errors.As(err, &ve) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

// Flipping any bit of any byte of a token must make it fail.
func TestEveryTamperedByteIsRefused(t *testing.T) {
	iss, v := setup(t)
	now := time.Unix(1_800_000_000, 0)
	good, _, _ := iss.IssueAt(alice, now, time.Hour)
	for i := range good.EncryptedToken {
		for bit := range 8 {
			tok := append([]byte(nil), good.EncryptedToken...)
			tok[i] ^= 1 << bit
			if _, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: tok, TokenKeyId: good.TokenKeyId}, now); err == nil {
				t.Fatalf("flipping bit %d of byte %d went unnoticed", bit, i)
			}
		}
	}
	for n := range len(good.EncryptedToken) {
		if _, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: good.EncryptedToken[:n], TokenKeyId: good.TokenKeyId}, now); !errors.Is(err, auth.ErrMalformed) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	long := append(append([]byte(nil), good.EncryptedToken...), 0)
	if _, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: long, TokenKeyId: good.TokenKeyId}, now); err == nil {
		t.Fatal("trailing garbage accepted")
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	iss, _ := setup(t)
	if _, _, err := iss.Issue(protocol.ActorID{}, time.Hour); err == nil {
		t.Fatal("zero actor")
	}
	if _, _, err := iss.Issue(alice, 0); err == nil {
		t.Fatal("zero ttl")
	}
	if _, err := auth.NewIssuer(1, make([]byte, 3)); err == nil {
		t.Fatal("short key")
	}
}

func TestHeaderRoundTripAndRefusals(t *testing.T) {
	iss, v := setup(t)
	cred, _, _ := iss.Issue(alice, time.Hour)
	got, err := auth.DecodeHeader(auth.EncodeHeader(cred))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyFor(got, alice); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"!!!", "AAAA=", string(make([]byte, auth.MaxHeaderLen+1)), "_w"} {
		if _, err := auth.DecodeHeader(bad); !errors.Is(err, auth.ErrMalformed) {
			t.Fatalf("DecodeHeader(%.10q) = %v", bad, err)
		}
	}
}

func TestKeyFiles(t *testing.T) {
	dir := t.TempDir()
	iss, _ := setup(t)
	priv := filepath.Join(dir, "issuer.key")
	if err := auth.SavePrivateKey(priv, 5, iss.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(priv); st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %v, want 0600", st.Mode().Perm())
	}
	id, key, err := auth.LoadPrivateKey(priv)
	if err != nil || id != 5 || !key.Equal(iss.PrivateKey()) {
		t.Fatalf("LoadPrivateKey = %d, %v", id, err)
	}
	if err := os.Chmod(priv, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.LoadPrivateKey(priv); err == nil {
		t.Fatal("a world-readable private key was loaded")
	}
	pub := filepath.Join(dir, "issuer.pub")
	if err := auth.SavePublicKey(pub, 5, iss.PublicKey()); err != nil {
		t.Fatal(err)
	}
	id, pk, err := auth.LoadPublicKey(pub)
	if err != nil || id != 5 || !pk.Equal(iss.PublicKey()) {
		t.Fatalf("LoadPublicKey = %d, %v", id, err)
	}
	if _, _, err := auth.LoadPublicKey(priv); err == nil {
		t.Fatal("a private key file loaded as a public key")
	}
}

func TestLoadOrCreateIssuerCreatesOnceThenReuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k")
	first, created, err := auth.LoadOrCreateIssuer(path, 9)
	if err != nil || !created {
		t.Fatalf("first: created=%v err=%v", created, err)
	}
	again, created, err := auth.LoadOrCreateIssuer(path, 9)
	if err != nil || created || !again.PublicKey().Equal(first.PublicKey()) || again.KeyID() != 9 {
		t.Fatalf("second: created=%v err=%v", created, err)
	}
}

func TestVerifierKeyRotationUnderConcurrency(t *testing.T) {
	iss, v := setup(t)
	cred, _, _ := iss.Issue(alice, time.Hour)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				_, err := v.Verify(cred)
				if err != nil && !errors.Is(err, auth.ErrUnknownKey) {
					t.Errorf("Verify: %v", err)
				}
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			v.RemoveKey(5)
			_ = v.AddKey(5, iss.PublicKey())
		}
	})
	wg.Wait()
	if _, err := v.Verify(cred); err != nil {
		t.Fatal(err)
	}
}
