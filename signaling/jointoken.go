package signaling

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Join tokens let a web application's own backend admit its users into a
// secret realm without handing them the realm secret: the backend, which
// holds the secret, mints a short-lived token for one realm
// (MintJoinToken) and gives it to the page, which presents it when it
// registers (HeaderJoinToken) instead of the secret. The server checks it
// with the realm's secret: made with that secret, for that realm, not
// expired, and expiring at most ServerConfig.MaxJoinTokenTTL from now.
// Refusals are counted (RefusedJoinToken) and charged to the address's
// wrong-secret lockout. A token is not tied to one registration: any
// number of registrations may present it until it expires, so keep its
// lifetime short (a page load's worth). Changing the realm secret voids
// every token made with the old one.
//
// Text form (ours): "ajt1." base64url(body) "." base64url(mac), unpadded,
// where body is realm (u32) | expires_at unix seconds (u64) | nonce (8
// bytes), big-endian, and mac is HMAC-SHA256 keyed with the realm secret
// over "actr-go/join-token/v1\n" followed by body.

// HeaderJoinToken carries a join token on POST /register (or on our older
// clients' socket handshake).
const HeaderJoinToken = "X-Actr-Join-Token"

// DefaultMaxJoinTokenTTL is ServerConfig.MaxJoinTokenTTL's default.
const DefaultMaxJoinTokenTTL = time.Hour

const (
	joinTokenPrefix  = "ajt1."
	joinTokenContext = "actr-go/join-token/v1\n"
	joinTokenBody    = 4 + 8 + 8
	maxJoinTokenLen  = 128
)

// Join token errors; every refusal wraps ErrJoinToken.
var (
	ErrJoinToken        = errors.New("join token refused")
	errJoinTokenForm    = fmt.Errorf("%w: not a join token (ajt1.<body>.<mac>): have the application's backend mint one with signaling.MintJoinToken or actr join-token", ErrJoinToken)
	errJoinTokenMAC     = fmt.Errorf("%w: not made with this realm's secret (forged, or the secret changed): ask the application for a new one", ErrJoinToken)
	errJoinTokenExpired = fmt.Errorf("%w: expired: ask the application for a new one", ErrJoinToken)
)

// MintJoinToken makes a join token for realm, made with the realm's
// secret, valid for ttl from now (at most the server's MaxJoinTokenTTL,
// or it is refused).
func MintJoinToken(secret string, realm uint32, ttl time.Duration) (string, error) {
	return mintJoinTokenAt(secret, realm, time.Now().Add(ttl))
}

func mintJoinTokenAt(secret string, realm uint32, expires time.Time) (string, error) {
	if secret == "" {
		return "", errors.New("signaling: a join token needs the realm's secret")
	}
	var body [joinTokenBody]byte
	binary.BigEndian.PutUint32(body[0:], realm)
	binary.BigEndian.PutUint64(body[4:], uint64(expires.Unix()))
	if _, err := rand.Read(body[12:]); err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	return joinTokenPrefix + enc.EncodeToString(body[:]) + "." + enc.EncodeToString(joinTokenMAC(secret, body[:])), nil
}

func joinTokenMAC(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(joinTokenContext))
	m.Write(body)
	return m.Sum(nil)
}

// checkJoinToken checks tok for realm against secret at now.
func checkJoinToken(tok, secret string, realm uint32, now time.Time, maxTTL time.Duration) error {
	if len(tok) > maxJoinTokenLen {
		return errJoinTokenForm
	}
	rest, ok := strings.CutPrefix(tok, joinTokenPrefix)
	if !ok {
		return errJoinTokenForm
	}
	b64, m64, ok := strings.Cut(rest, ".")
	if !ok {
		return errJoinTokenForm
	}
	enc := base64.RawURLEncoding
	body, err1 := enc.DecodeString(b64)
	mac, err2 := enc.DecodeString(m64)
	if err1 != nil || err2 != nil || len(body) != joinTokenBody {
		return errJoinTokenForm
	}
	if secret == "" || !hmac.Equal(mac, joinTokenMAC(secret, body)) {
		return errJoinTokenMAC
	}
	if got := binary.BigEndian.Uint32(body); got != realm {
		return fmt.Errorf("%w: made for realm %d, not %d", ErrJoinToken, got, realm)
	}
	exp := binary.BigEndian.Uint64(body[4:])
	switch {
	case exp > uint64(now.Add(maxTTL).Unix()):
		return fmt.Errorf("%w: it expires more than %s from now (the server's MaxJoinTokenTTL): mint shorter-lived tokens", ErrJoinToken, maxTTL)
	case exp <= uint64(now.Unix()):
		return errJoinTokenExpired
	}
	return nil
}

// admission is what a registration presented to be admitted to a realm
// that is not open: its realm secret, or a join token.
type admission struct {
	secret, joinToken string
}

// admissionOf reads a request's realm secret (ours or actr's header) and
// join token.
func admissionOf(h http.Header) admission {
	return admission{secret: realmSecret(h), joinToken: h.Get(HeaderJoinToken)}
}
