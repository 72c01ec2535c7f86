package signaling

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// ActorType is an actor's type: manufacturer, name and version. In a
// lookup or a subscription an empty Version means any version.
type ActorType struct {
	Manufacturer string
	Name         string
	Version      string
}

// TypeOf returns the type of id.
func TypeOf(id protocol.ActorID) ActorType {
	return ActorType{Manufacturer: id.Manufacturer, Name: id.Name, Version: id.Version}
}

// String returns manufacturer:name:version, or manufacturer:name when the
// version is empty.
func (t ActorType) String() string {
	if t.Version == "" {
		return t.Manufacturer + ":" + t.Name
	}
	return t.Manufacturer + ":" + t.Name + ":" + t.Version
}

// anyVersion is t without its version: the type as a wildcard lookup.
func (t ActorType) anyVersion() ActorType {
	return ActorType{Manufacturer: t.Manufacturer, Name: t.Name}
}

// matches reports whether an actor of type u answers a lookup of t.
func (t ActorType) matches(u ActorType) bool {
	return t.Manufacturer == u.Manufacturer && t.Name == u.Name && (t.Version == "" || t.Version == u.Version)
}

func (t ActorType) proto() *protocol.ActrType {
	return &protocol.ActrType{Manufacturer: proto.String(t.Manufacturer), Name: proto.String(t.Name), Version: proto.String(t.Version)}
}

func typeFromProto(p *protocol.ActrType) ActorType {
	return ActorType{Manufacturer: p.GetManufacturer(), Name: p.GetName(), Version: p.GetVersion()}
}

// Error codes of envelope_error and of ErrorResponse in responses.
const (
	CodeBadRequest   = 400 // malformed envelope or request
	CodeUnauthorized = 401 // missing, forged, tampered, expired or mismatched credential
	CodeForbidden    = 403 // realm policy: registration refused, relay across realms
	CodeNotFound     = 404 // unknown or offline target
	CodeGone         = 410 // a flow this connection no longer offers (registration on an identified socket)
	CodeTooLarge     = 413
	CodeRateLimited  = 429
	CodeUnavailable  = 503 // target connection congested, server closing
)

// ErrorResponseError is an error the server answered with.
type ErrorResponseError struct {
	Code    uint32
	Message string
}

func (e *ErrorResponseError) Error() string {
	return fmt.Sprintf("signaling: server refused: %d %s", e.Code, e.Message)
}

// Is makes a 404 refusal match ErrNotOnline.
func (e *ErrorResponseError) Is(target error) bool {
	return target == ErrNotOnline && e.Code == CodeNotFound
}

// Sentinel errors of the client.
var (
	// ErrNotOnline: the server does not know the target actor, or it is
	// offline (a 404 refusal matches it).
	ErrNotOnline = errors.New("signaling: actor not online")
	// ErrDisconnected: the connection to the server went away while a call
	// was in flight, or there is none; the client reconnects by itself.
	ErrDisconnected = errors.New("signaling: not connected to the server")
	// ErrClosed: the client has been closed.
	ErrClosed = errors.New("signaling: client closed")
	// ErrNotRegistered: the call needs an actor id and the client has none.
	ErrNotRegistered = errors.New("signaling: not registered")
	// ErrCredentialRefused: the server refused the credential with which
	// the client opened its socket (401); the client registers anew.
	ErrCredentialRefused = errors.New("signaling: the server refused the credential")
)

func errorResponse(code uint32, msg string) *protocol.ErrorResponse {
	return &protocol.ErrorResponse{Code: proto.Uint32(code), Message: proto.String(msg)}
}

// checkType refuses a type whose manufacturer or name is longer than
// MaxTypeName; what names the field, for the error message.
func (s *Server) checkType(t ActorType, what string) *protocol.ErrorResponse {
	if l := s.cfg.MaxTypeName; len(t.Manufacturer) > l || len(t.Name) > l || len(t.Version) > l {
		s.counters.Malformed.Add(1)
		s.counters.refuse(RefusedTypeName)
		return errf(CodeBadRequest, "%s: manufacturer and name are at most %d bytes each", what, l)
	}
	return nil
}
