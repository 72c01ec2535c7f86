package auth

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by definition (coturn's use-auth-secret)
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// TURN credentials are the time-limited kind of the TURN REST API
// (draft-uberti-behave-turn-rest, coturn's --use-auth-secret), in the
// shape the actr runtime hands out at registration:
//
//	username  "<expires_at unix seconds>:<actor id in actr's text form>"
//	password  base64(HMAC-SHA1(secret, username))
//
// Whoever holds the shared secret (the signaling server that mints them,
// the TURN server that checks them) needs no other state; the actor id in
// the user name scopes the credential to one actor and its realm.

// Reasons a TURN credential is refused; CheckTURNUsername and
// CheckTURNCredential return them wrapped, for errors.Is.
var (
	ErrTURNMalformed = errors.New("auth: TURN user name is not \"<expires_at>:<actor_id>\"")
	ErrTURNExpired   = errors.New("auth: TURN credential expired")
	ErrTURNForged    = errors.New("auth: TURN password does not match the user name (forged, or minted with another secret)")
	ErrTURNRealm     = errors.New("auth: TURN credential is for a realm this server does not relay")
)

// maxTURNUsername bounds a user name: a STUN USERNAME is at most 513 bytes.
const maxTURNUsername = 513

// TURNUsername is the user name of a TURN credential for id expiring at exp.
func TURNUsername(id protocol.ActorID, exp time.Time) string {
	return strconv.FormatInt(exp.Unix(), 10) + ":" + id.ActrString()
}

// TURNPassword is base64(HMAC-SHA1(secret, username)).
func TURNPassword(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewTURNCredential mints the TURN credential of id, valid until exp.
// With no secret it is a placeholder no TURN server accepts (an empty
// password), which actr's RegisterOk requires all the same.
func NewTURNCredential(secret []byte, id protocol.ActorID, exp time.Time) *protocol.TurnCredential {
	user := TURNUsername(id, exp)
	pass := ""
	if len(secret) > 0 {
		pass = TURNPassword(secret, user)
	}
	return &protocol.TurnCredential{
		Username:  proto.String(user),
		Password:  proto.String(pass),
		ExpiresAt: proto.Uint64(uint64(max(0, exp.Unix()))),
	}
}

// CheckTURNUsername parses a TURN user name and checks that it has not
// expired at now: it returns the actor and the expiry it names. It does
// not check the password (the TURN server checks the message integrity
// with the key derived from TURNPassword).
func CheckTURNUsername(username string, now time.Time) (protocol.ActorID, time.Time, error) {
	if len(username) > maxTURNUsername {
		return protocol.ActorID{}, time.Time{}, fmt.Errorf("%w: %d bytes long", ErrTURNMalformed, len(username))
	}
	expText, actor, ok := strings.Cut(username, ":")
	if !ok {
		return protocol.ActorID{}, time.Time{}, fmt.Errorf("%w: no ':'", ErrTURNMalformed)
	}
	sec, err := strconv.ParseInt(expText, 10, 64)
	if err != nil || sec <= 0 {
		return protocol.ActorID{}, time.Time{}, fmt.Errorf("%w: bad expiry %q", ErrTURNMalformed, expText)
	}
	id, err := protocol.ParseActrString(actor)
	if err != nil {
		return protocol.ActorID{}, time.Time{}, fmt.Errorf("%w: %v", ErrTURNMalformed, err)
	}
	exp := time.Unix(sec, 0)
	if !now.Before(exp) {
		return id, exp, fmt.Errorf("%w at %s: the actor renews its credential with the signaling server, which hands out a new one", ErrTURNExpired, exp.UTC().Format(time.RFC3339))
	}
	return id, exp, nil
}

// CheckTURNCredential checks a whole credential as a client holds it: the
// user name (CheckTURNUsername) and that the password is the one secret
// gives it. TURN servers never see the password; this is for tests and
// for tools that check what a signaling server handed out.
func CheckTURNCredential(secret []byte, tc *protocol.TurnCredential, now time.Time) (protocol.ActorID, error) {
	id, _, err := CheckTURNUsername(tc.GetUsername(), now)
	if err != nil {
		return id, err
	}
	want := TURNPassword(secret, tc.GetUsername())
	if !hmac.Equal([]byte(want), []byte(tc.GetPassword())) {
		return id, ErrTURNForged
	}
	return id, nil
}
