package auth_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
)

func TestPrivateKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	iss, _ := setup(t)
	path := filepath.Join(dir, "issuer.key")
	if err := auth.SavePrivateKey(path, 5, iss.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("private key mode %04o, want 0600", st.Mode().Perm())
	}
	id, key, err := auth.LoadPrivateKey(path)
	if err != nil || id != 5 || !key.Equal(iss.PrivateKey()) {
		t.Fatalf("LoadPrivateKey = %d, %v", id, err)
	}
	// The file is standard PEM PKCS #8 with a Key-Id header.
	b, _ := os.ReadFile(path)
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" || blk.Headers["Key-Id"] != "5" {
		t.Fatalf("file:\n%s", b)
	}
	if k, err := x509.ParsePKCS8PrivateKey(blk.Bytes); err != nil || !k.(ed25519.PrivateKey).Equal(iss.PrivateKey()) {
		t.Fatal("not PKCS #8", err)
	}
	// Overwriting works and keeps 0600; no temporary files are left.
	other, _ := auth.GenerateIssuer(8)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := auth.SavePrivateKey(path, 8, other.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("overwritten private key mode %04o", st.Mode().Perm())
	}
	if id, key, err := auth.LoadPrivateKey(path); err != nil || id != 8 || !key.Equal(other.PrivateKey()) {
		t.Fatalf("after overwrite: %d, %v", id, err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("directory holds %d entries", len(ents))
	}
	if err := auth.SavePrivateKey(filepath.Join(dir, "short"), 1, make([]byte, 5)); err == nil {
		t.Fatal("saved a 5-byte private key")
	}
}

func TestReadablePrivateKeyIsRefused(t *testing.T) {
	iss, _ := setup(t)
	path := filepath.Join(t.TempDir(), "issuer.key")
	if err := auth.SavePrivateKey(path, 5, iss.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o620, 0o601} {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := auth.LoadPrivateKey(path)
		if !errors.Is(err, auth.ErrKeyFilePermissions) || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Fatalf("mode %04o: %v", mode, err)
		}
		if _, _, err := auth.LoadOrCreateIssuer(path, 5); !errors.Is(err, auth.ErrKeyFilePermissions) {
			t.Fatalf("LoadOrCreateIssuer with mode %04o: %v", mode, err)
		}
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.LoadPrivateKey(path); err != nil {
		t.Fatalf("mode 0400: %v", err)
	}
}

func TestPublicKeyFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	iss, _ := setup(t)
	pub := filepath.Join(dir, "issuer.pub")
	if err := auth.SavePublicKey(pub, 5, iss.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(pub); st.Mode().Perm() != 0o644 {
		t.Fatalf("public key mode %04o, want 0644", st.Mode().Perm())
	}
	id, pk, err := auth.LoadPublicKey(pub)
	if err != nil || id != 5 || !pk.Equal(iss.PublicKey()) {
		t.Fatalf("LoadPublicKey = %d, %v", id, err)
	}
	priv := filepath.Join(dir, "issuer.key")
	if err := auth.SavePrivateKey(priv, 5, iss.PrivateKey()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.LoadPublicKey(priv); err == nil {
		t.Fatal("a private key file loaded as a public key")
	}
	if _, _, err := auth.LoadPrivateKey(pub); err == nil {
		t.Fatal("a public key file loaded as a private key")
	}
	if err := auth.SavePublicKey(pub, 5, iss.PublicKey()[:31]); err == nil {
		t.Fatal("saved a 31-byte public key")
	}
}

func TestKeyFileRefusals(t *testing.T) {
	dir := t.TempDir()
	iss, _ := setup(t)
	der, _ := x509.MarshalPKIXPublicKey(iss.PublicKey())
	good := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Key-Id": "5"}, Bytes: der}))
	for name, content := range map[string]string{
		"empty":       "",
		"not pem":     "hello",
		"no key id":   string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"bad key id":  strings.Replace(good, "Key-Id: 5", "Key-Id: -5", 1),
		"big key id":  strings.Replace(good, "Key-Id: 5", "Key-Id: 4294967296", 1),
		"two keys":    good + good,
		"bad der":     string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Key-Id": "5"}, Bytes: []byte{1, 2, 3}})),
		"huge":        good + strings.Repeat(" ", 70<<10),
		"wrong block": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Headers: map[string]string{"Key-Id": "5"}, Bytes: der})),
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, err := auth.LoadPublicKey(path); err == nil {
			t.Errorf("%s: loaded as a public key", name)
		}
		if _, _, err := auth.LoadPrivateKey(path); err == nil {
			t.Errorf("%s: loaded as a private key", name)
		}
	}
	if _, _, err := auth.LoadPrivateKey(dir); err == nil {
		t.Error("a directory loaded as a private key")
	}
	if _, _, err := auth.LoadPrivateKey(filepath.Join(dir, "absent")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("absent file: %v", err)
	}
}

func TestLoadOrCreateIssuerCreatesOnceThenReuses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.key")
	first, created, err := auth.LoadOrCreateIssuer(path, 9)
	if err != nil || !created || first.KeyID() != 9 {
		t.Fatalf("first: created=%v err=%v", created, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("created key mode %04o", st.Mode().Perm())
	}
	again, created, err := auth.LoadOrCreateIssuer(path, 9)
	if err != nil || created || !again.PrivateKey().Equal(first.PrivateKey()) || again.KeyID() != 9 {
		t.Fatalf("second: created=%v err=%v", created, err)
	}
	// Credentials from the first run verify with the second run's key.
	cred := issue(t, first, alice, t0, time.Hour)
	v := auth.NewVerifier(map[uint32]ed25519.PublicKey{9: again.PublicKey()})
	if _, err := v.VerifyForAt(cred, alice, t0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := auth.LoadOrCreateIssuer(path, 10); err == nil || !strings.Contains(err.Error(), "key id 9") {
		t.Fatalf("asked for key id 10 from a key id 9 file: %v", err)
	}
	if _, _, err := auth.LoadOrCreateIssuer(filepath.Join(t.TempDir(), "no", "such", "dir"), 1); err == nil {
		t.Fatal("created a key in a missing directory")
	}
}

// Processes starting at once agree on one key (the file is created only if
// absent).
func TestLoadOrCreateIssuerRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "issuer.key")
	var wg sync.WaitGroup
	keys := make([]ed25519.PublicKey, 8)
	creators := make([]bool, len(keys))
	for i := range keys {
		wg.Go(func() {
			iss, created, err := auth.LoadOrCreateIssuer(path, 1)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i], creators[i] = iss.PublicKey(), created
		})
	}
	wg.Wait()
	n := 0
	for i := range keys {
		if creators[i] {
			n++
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("goroutine %d got another key", i)
		}
	}
	if n != 1 {
		t.Fatalf("%d creators, want 1", n)
	}
}
