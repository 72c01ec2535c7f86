package auth

import (
	"errors"
	"fmt"

	"github.com/actr-go/actr/protocol"
)

// Verification failures. Every one is returned inside a *VerifyError.
var (
	ErrMalformed    = errors.New("auth: malformed credential")
	ErrUnknownKey   = errors.New("auth: credential signed by an unknown key")
	ErrBadSignature = errors.New("auth: credential signature does not verify (forged or tampered)")
	ErrExpired      = errors.New("auth: credential expired")
	ErrNotYetValid  = errors.New("auth: credential not yet valid")
	ErrWrongActor   = errors.New("auth: credential names another actor")
)

// VerifyError is a refused credential.
type VerifyError struct {
	Reason error            // one of the sentinels above
	KeyID  uint32           // the key id the credential named
	Actor  protocol.ActorID // the actor it named, when it could be decoded
	Detail string           // what to do about it
}

func (e *VerifyError) Error() string {
	s := e.Reason.Error()
	if !e.Actor.IsZero() {
		s += " (for " + e.Actor.String() + ")"
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *VerifyError) Unwrap() error { return e.Reason }

func refuse(reason error, keyID uint32, actor protocol.ActorID, detail string, args ...any) *VerifyError {
	return &VerifyError{Reason: reason, KeyID: keyID, Actor: actor, Detail: fmt.Sprintf(detail, args...)}
}
