package transport

import (
	"fmt"
	"log/slog"

	"github.com/actr-go/actr/protocol"
)

// DestKind says what kind of destination a [Dest] names.
type DestKind uint8

const (
	// DestShell is the in-process shell side of an actor (served by [InprocManager]).
	DestShell DestKind = iota + 1
	// DestLocal is the in-process local workload (served by [InprocManager]).
	DestLocal
	// DestActor is an actor in another process, named by its ActrId (served by [OutprocManager]).
	DestActor
)

func (k DestKind) String() string {
	switch k {
	case DestShell:
		return "shell"
	case DestLocal:
		return "local"
	case DestActor:
		return "actor"
	}
	return fmt.Sprintf("DestKind(%d)", uint8(k))
}

// Dest is where a message goes. It is a comparable value and can be used as a
// map key. The zero Dest is invalid.
type Dest struct {
	kind  DestKind
	actor protocol.ActorID
}

// Shell returns the in-process shell destination.
func Shell() Dest { return Dest{kind: DestShell} }

// Local returns the in-process local destination.
func Local() Dest { return Dest{kind: DestLocal} }

// Actor returns the destination of the actor with the given id.
func Actor(id protocol.ActorID) Dest { return Dest{kind: DestActor, actor: id} }

// Kind reports what kind of destination d is.
func (d Dest) Kind() DestKind { return d.kind }

// ActorID returns the actor of an Actor destination; ok is false for others.
func (d Dest) ActorID() (id protocol.ActorID, ok bool) {
	return d.actor, d.kind == DestActor
}

// IsZero reports whether d is the zero (invalid) Dest.
func (d Dest) IsZero() bool { return d == Dest{} }

// String returns "shell", "local" or "actor(<ActorID text form>)".
// LogValue makes log/slog print the Dest as its String form (a JSON
// handler would otherwise print its fields, or a bare number).
func (d Dest) LogValue() slog.Value { return slog.StringValue(d.String()) }

func (d Dest) String() string {
	if d.kind == DestActor {
		return "actor(" + d.actor.String() + ")"
	}
	if d.kind == 0 {
		return "invalid-dest"
	}
	return d.kind.String()
}

// validOutproc reports whether the outproc manager can serve d.
func (d Dest) validOutproc() error {
	switch d.kind {
	case DestActor:
		if d.actor.IsZero() {
			return fmt.Errorf("%w: actor destination with a zero ActorID", ErrInvalidDest)
		}
		return nil
	case DestShell, DestLocal:
		return fmt.Errorf("%w: %s is an in-process destination; send it through an InprocManager", ErrInvalidDest, d)
	}
	return fmt.Errorf("%w: zero Dest; build one with transport.Actor(id)", ErrInvalidDest)
}
