package auth

import (
	"errors"
	"fmt"

	"github.com/actr-go/actr/protocol"
)

// Reasons a credential is refused. Verification returns each one inside a
// [*VerifyError]; test for them with errors.Is.
var (
	ErrMalformed    = errors.New("auth: malformed credential")
	ErrUnknownKey   = errors.New("auth: credential signed with an unknown key")
	ErrBadSignature = errors.New("auth: credential signature does not verify (forged or tampered)")
	ErrExpired      = errors.New("auth: credential expired")
	ErrNotYetValid  = errors.New("auth: credential not yet valid")
	ErrWrongActor   = errors.New("auth: credential names a different actor")
)

// ErrKeyFilePermissions is returned, wrapped, by [LoadPrivateKey] and
// [LoadOrCreateIssuer] for a private key file that users other than its
// owner may access.
var ErrKeyFilePermissions = errors.New("auth: private key file is accessible to other users")

// VerifyError is a refused credential. Its message says what was wrong and
// what to do about it; it never contains token bytes, so it is safe to log
// and to send back to the peer that presented the credential.
type VerifyError struct {
	Reason error            // one of ErrMalformed, ErrUnknownKey, …
	KeyID  uint32           // the key id the credential named (0 if unknown)
	Actor  protocol.ActorID // the actor the token names, if it could be decoded; unverified unless Reason is ErrExpired, ErrNotYetValid or ErrWrongActor
	Detail string           // what exactly was wrong and what to do about it
}

// Error returns "<reason> (key id N, actor A): <detail>", leaving out
// what is unknown.
func (e *VerifyError) Error() string {
	s := "auth: credential refused"
	if e.Reason != nil {
		s = e.Reason.Error()
	}
	switch {
	case !e.Actor.IsZero():
		s += fmt.Sprintf(" (key id %d, actor %s)", e.KeyID, e.Actor)
	case e.KeyID != 0:
		s += fmt.Sprintf(" (key id %d)", e.KeyID)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// String is Error; it is safe to log.
func (e *VerifyError) String() string { return e.Error() }

// Unwrap returns Reason, so errors.Is(err, ErrExpired) and the like work.
func (e *VerifyError) Unwrap() error { return e.Reason }

func refuse(reason error, keyID uint32, actor protocol.ActorID, detail string, args ...any) *VerifyError {
	return &VerifyError{Reason: reason, KeyID: keyID, Actor: actor, Detail: fmt.Sprintf(detail, args...)}
}
