package auth

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
)

// Key files are PEM with a "Key-Id" header carrying the decimal key id:
//
//	-----BEGIN PRIVATE KEY-----
//	Key-Id: 1
//
//	MC4CAQAwBQYDK2VwBCIEI…            (PKCS #8, the form openssl writes)
//	-----END PRIVATE KEY-----
//
// and likewise "PUBLIC KEY" (PKIX) for public keys. Files are written to a
// temporary file in the same directory and renamed into place, so a reader
// never sees half a key.
const (
	pemPrivate  = "PRIVATE KEY"
	pemPublic   = "PUBLIC KEY"
	keyIDHeader = "Key-Id"
	maxKeyFile  = 64 << 10 // a key file is a few hundred bytes
)

// SavePrivateKey writes key as PEM (PKCS #8) with its key id, readable and
// writable by the owner only (0600), replacing any file at path atomically.
func SavePrivateKey(path string, keyID uint32, key ed25519.PrivateKey) error {
	der, err := marshalPrivate(key)
	if err != nil {
		return err
	}
	return writeAtomic(path, 0o600, keyPEM(pemPrivate, keyID, der), false)
}

// LoadPrivateKey reads a key written by SavePrivateKey (or by openssl, given
// a Key-Id header). It refuses, with an error wrapping
// [ErrKeyFilePermissions], a file that group or others may access: the
// issuer's key lets whoever reads it mint credentials for any actor.
func LoadPrivateKey(path string) (keyID uint32, key ed25519.PrivateKey, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: private key: %w", err)
	}
	defer f.Close()
	st, err := f.Stat() // of the file we read, not of whatever is at path later
	if err != nil {
		return 0, nil, fmt.Errorf("auth: private key: %w", err)
	}
	if !st.Mode().IsRegular() {
		return 0, nil, fmt.Errorf("auth: private key %s is not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return 0, nil, fmt.Errorf("%w: %s has mode %04o, so other users can read it and mint credentials; run: chmod 600 %s (and consider replacing the key if others may have read it)",
			ErrKeyFilePermissions, path, perm, path)
	}
	keyID, der, err := readPEM(f, path, pemPrivate)
	if err != nil {
		return 0, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return 0, nil, fmt.Errorf("auth: %s holds a %T, not an Ed25519 private key", path, k)
	}
	return keyID, key, nil
}

// SavePublicKey writes pub as PEM (PKIX) with its key id, readable by all
// (0644), replacing any file at path atomically.
func SavePublicKey(path string, keyID uint32, pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("auth: an Ed25519 public key has %d bytes, not %d", ed25519.PublicKeySize, len(pub))
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("auth: encoding the public key: %w", err)
	}
	return writeAtomic(path, 0o644, keyPEM(pemPublic, keyID, der), false)
}

// LoadPublicKey reads a key written by SavePublicKey.
func LoadPublicKey(path string) (keyID uint32, pub ed25519.PublicKey, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: public key: %w", err)
	}
	defer f.Close()
	keyID, der, err := readPEM(f, path, pemPublic)
	if err != nil {
		return 0, nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return 0, nil, fmt.Errorf("auth: %s holds a %T, not an Ed25519 public key", path, k)
	}
	return keyID, pub, nil
}

// LoadOrCreateIssuer loads the issuer key at path or, if there is no file
// there, generates a key, saves it at path (0600) and reports created. The
// file is created only if absent, so two processes starting at once end up
// with the same key. A file holding a key id other than keyID is an error
// (to rotate keys, move the old file away and choose a new id) rather than
// a silent switch of ids.
func LoadOrCreateIssuer(path string, keyID uint32) (iss *Issuer, created bool, err error) {
	iss, err = loadIssuer(path, keyID)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return iss, false, err
	}
	if iss, err = GenerateIssuer(keyID); err != nil {
		return nil, false, err
	}
	der, err := marshalPrivate(iss.key)
	if err != nil {
		return nil, false, err
	}
	err = writeAtomic(path, 0o600, keyPEM(pemPrivate, keyID, der), true)
	if errors.Is(err, fs.ErrExist) { // another process won the race: use its key
		iss, err = loadIssuer(path, keyID)
		return iss, false, err
	}
	if err != nil {
		return nil, false, err
	}
	return iss, true, nil
}

func loadIssuer(path string, keyID uint32) (*Issuer, error) {
	id, key, err := LoadPrivateKey(path)
	if err != nil {
		return nil, err
	}
	if id != keyID {
		return nil, fmt.Errorf("auth: %s holds key id %d, not the requested %d: use key id %d, or move the file away to generate a new key", path, id, keyID, id)
	}
	return NewIssuer(id, key)
}

func marshalPrivate(key ed25519.PrivateKey) ([]byte, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("auth: an Ed25519 private key has %d bytes, not %d", ed25519.PrivateKeySize, len(key))
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("auth: encoding the private key: %w", err)
	}
	return der, nil
}

func keyPEM(typ string, keyID uint32, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Headers: map[string]string{keyIDHeader: strconv.FormatUint(uint64(keyID), 10)}, Bytes: der})
}

// readPEM reads one PEM block of type typ with a Key-Id header, and nothing
// else but white space.
func readPEM(r io.Reader, path, typ string) (uint32, []byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxKeyFile+1))
	if err != nil {
		return 0, nil, fmt.Errorf("auth: reading %s: %w", path, err)
	}
	if len(b) > maxKeyFile {
		return 0, nil, fmt.Errorf("auth: %s is over %d bytes: not a key file", path, maxKeyFile)
	}
	blk, rest := pem.Decode(b)
	if blk == nil {
		return 0, nil, fmt.Errorf("auth: %s is not a PEM file", path)
	}
	if blk.Type != typ {
		return 0, nil, fmt.Errorf("auth: %s holds a PEM %q block, want %q", path, blk.Type, typ)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return 0, nil, fmt.Errorf("auth: %s has data after its key: a key file holds one key", path)
	}
	v, ok := blk.Headers[keyIDHeader]
	if !ok {
		return 0, nil, fmt.Errorf("auth: %s has no %q header: add a line %q after the BEGIN line, then a blank line", path, keyIDHeader, keyIDHeader+": <id>")
	}
	id, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, nil, fmt.Errorf("auth: %s: %s header %q is not a decimal uint32", path, keyIDHeader, v)
	}
	return uint32(id), blk.Bytes, nil
}

// writeAtomic writes data to a temporary file with mode in path's
// directory, syncs it and moves it to path: by rename (replacing any file)
// or, if exclusive, by hard link, which fails with fs.ErrExist when path
// exists.
func writeAtomic(path string, mode os.FileMode, data []byte, exclusive bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename there is nothing left to remove
	// CreateTemp makes the file 0600; Chmod is not subject to the umask.
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	if exclusive {
		if err := os.Link(tmp, path); err != nil {
			return fmt.Errorf("auth: creating %s: %w", path, err)
		}
		return nil
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("auth: writing %s: %w", path, err)
	}
	return nil
}
