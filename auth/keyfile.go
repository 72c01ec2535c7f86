package auth

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

const (
	pemPrivate = "PRIVATE KEY"
	pemPublic  = "PUBLIC KEY"
	keyIDHdr   = "Key-Id"
)

// SavePrivateKey writes key as PEM (PKCS #8) with its key id, readable by
// the owner only (0600). It replaces the file atomically.
func SavePrivateKey(path string, keyID uint32, key ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("auth: encoding the private key: %w", err)
	}
	return writeAtomic(path, 0o600, &pem.Block{Type: pemPrivate, Headers: map[string]string{keyIDHdr: strconv.FormatUint(uint64(keyID), 10)}, Bytes: der})
}

// LoadPrivateKey reads a key written by SavePrivateKey. It refuses a file
// that group or others can access.
func LoadPrivateKey(path string) (uint32, ed25519.PrivateKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return 0, nil, fmt.Errorf("auth: private key %s has mode %v: other users can read it; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	id, der, err := readPEM(path, pemPrivate)
	if err != nil {
		return 0, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return 0, nil, fmt.Errorf("auth: %s holds a %T, not an Ed25519 key", path, k)
	}
	return id, key, nil
}

// SavePublicKey writes pub as PEM (PKIX) with its key id (mode 0644).
func SavePublicKey(path string, keyID uint32, pub ed25519.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("auth: encoding the public key: %w", err)
	}
	return writeAtomic(path, 0o644, &pem.Block{Type: pemPublic, Headers: map[string]string{keyIDHdr: strconv.FormatUint(uint64(keyID), 10)}, Bytes: der})
}

// LoadPublicKey reads a key written by SavePublicKey.
func LoadPublicKey(path string) (uint32, ed25519.PublicKey, error) {
	id, der, err := readPEM(path, pemPublic)
	if err != nil {
		return 0, nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return 0, nil, fmt.Errorf("auth: %s holds a %T, not an Ed25519 key", path, k)
	}
	return id, pub, nil
}

// LoadOrCreateIssuer loads the issuer key at path, or generates one with
// keyID and saves it there (0600) if the file does not exist.
func LoadOrCreateIssuer(path string, keyID uint32) (iss *Issuer, created bool, err error) {
	id, key, err := LoadPrivateKey(path)
	if err == nil {
		iss, err := NewIssuer(id, key)
		return iss, false, err
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if iss, err = GenerateIssuer(keyID); err != nil {
		return nil, false, err
	}
	if err := SavePrivateKey(path, keyID, iss.PrivateKey()); err != nil {
		return nil, false, err
	}
	return iss, true, nil
}

func readPEM(path, typ string) (uint32, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != typ {
		return 0, nil, fmt.Errorf("auth: %s is not a PEM %q file", path, typ)
	}
	id, err := strconv.ParseUint(blk.Headers[keyIDHdr], 10, 32)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %s has no valid %s header", path, keyIDHdr)
	}
	return uint32(id), blk.Bytes, nil
}

func writeAtomic(path string, mode os.FileMode, blk *pem.Block) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".key-*")
	if err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("auth: %w", err)
	}
	if err := pem.Encode(f, blk); err != nil {
		f.Close()
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}
