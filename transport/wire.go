package transport

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/actr-go/actr/protocol"
)

// WireKind names a kind of wire. The [RouteTable] ranks kinds per payload type.
type WireKind uint8

const (
	// WireWebRTC is a WebRTC PeerConnection with one DataChannel per payload type.
	WireWebRTC WireKind = iota + 1
	// WireWebSocket is one WebSocket connection carrying every payload type.
	WireWebSocket
)

// LogValue makes log/slog print the WireKind as its String form (a JSON
// handler would otherwise print its fields, or a bare number).
func (k WireKind) LogValue() slog.Value { return slog.StringValue(k.String()) }

func (k WireKind) String() string {
	switch k {
	case WireWebRTC:
		return "webrtc"
	case WireWebSocket:
		return "websocket"
	}
	return fmt.Sprintf("WireKind(%d)", uint8(k))
}

// WireID identifies one wire for the life of the process. Cleanup paths
// compare it before acting, so a stale event about an old wire never touches
// a newer one. Wire implementations get theirs from [NewWireID].
type WireID uint64

var lastWireID atomic.Uint64

// NewWireID returns a process-unique, never-zero wire identity.
func NewWireID() WireID { return WireID(lastWireID.Add(1)) }

// Wire is one connection of one kind to one peer.
//
// Connect may be called again after it returned an error (the pool retries
// with backoff); once it has succeeded the wire is single-use: when it dies,
// Done is closed and a new wire must be built. Implementations must make
// Ready, Lane, Done and Close safe for concurrent use, must not block in
// Ready, Lane or Done, and must make Close idempotent and release every
// goroutine and socket of the wire before it returns.
type Wire interface {
	// Kind reports the wire's kind; it decides the wire's route priority.
	Kind() WireKind
	// ID reports the wire's identity (see NewWireID).
	ID() WireID
	// Connect establishes the wire; it returns when the wire is Ready or has
	// failed, or when ctx ends.
	Connect(ctx context.Context) error
	// Ready reports whether the wire is connected and its lanes are usable.
	Ready() bool
	// Lane returns the wire's lane for a payload type. It returns an error
	// matching ErrNoRoute when the wire cannot carry that type.
	Lane(pt protocol.PayloadType) (Lane, error)
	// Done is closed when the wire has died or been closed.
	Done() <-chan struct{}
	// Close closes the wire. It is safe to call more than once.
	Close() error
}

// A WireErr is a Wire that can tell why it died. The pool reads it once
// Done is closed and reports it in the wire's failure.
type WireErr interface {
	Err() error
}

// A ReadyNotifier is a Wire whose readiness can drop and return after
// Connect has succeeded, without the wire dying (a WebRTC wire during an
// ICE restart). The pool watches it so that senders waiting for a ready
// lane wake when the wire is ready again, and other wires carry the
// traffic meanwhile. The health checker does not fail a ReadyNotifier
// for being not ready: the wire bounds its own recovery and closes Done
// when it gives up.
type ReadyNotifier interface {
	// ReadyChanged returns a channel that is closed at the next change of
	// Ready. Call it again after that for the following change.
	ReadyChanged() <-chan struct{}
}

// Lane is one send path for one payload type on one wire.
type Lane interface {
	// Send transmits one message. It honours ctx; a ctx ending must abandon
	// the message, not tear down the wire. Send must not retain data after it
	// returns. When the lane can no longer carry messages it returns an error
	// matching ErrLaneClosed; a message bigger than the lane accepts gets a
	// *MessageTooLargeError.
	Send(ctx context.Context, data []byte) error
}

// WireBuilder produces the wires worth trying for a destination. The
// manager calls Build when it dials a destination and when the health
// checker restarts failed wires. ctx ends when the dial is abandoned.
type WireBuilder interface {
	Build(ctx context.Context, req BuildRequest) ([]Wire, error)
}

// WireBuilderFunc adapts a function to a WireBuilder.
type WireBuilderFunc func(ctx context.Context, req BuildRequest) ([]Wire, error)

// Build calls f(ctx, req).
func (f WireBuilderFunc) Build(ctx context.Context, req BuildRequest) ([]Wire, error) {
	return f(ctx, req)
}

// BuildRequest is what a WireBuilder is asked to build.
type BuildRequest struct {
	// Local is the id of the actor that dials.
	Local protocol.ActorID
	// Dest is the destination to reach.
	Dest Dest
	// Kinds, when not empty, limits the wires wanted to these kinds (the
	// health checker asks only for the kinds that failed). Wires of other
	// kinds are closed unused if returned.
	Kinds []WireKind
	// Inbound receives what the built wires read from the peer.
	Inbound Inbound
	// Events receives the wires' own events (ICE restarts, channel closes…).
	Events *EventBus
}

// Wants reports whether the request asks for wires of kind k.
func (r BuildRequest) Wants(k WireKind) bool {
	if len(r.Kinds) == 0 {
		return true
	}
	for _, want := range r.Kinds {
		if want == k {
			return true
		}
	}
	return false
}

// WireState is the state of a wire in a [WirePool].
type WireState uint8

const (
	// WireConnecting: Connect is running or a retry is pending.
	WireConnecting WireState = iota + 1
	// WireReady: connected; its lanes carry messages.
	WireReady
	// WireFailed: retries are exhausted or the wire died.
	WireFailed
	// WireClosed: the wire was closed on purpose.
	WireClosed
)

// LogValue makes log/slog print the WireState as its String form (a JSON
// handler would otherwise print its fields, or a bare number).
func (s WireState) LogValue() slog.Value { return slog.StringValue(s.String()) }

func (s WireState) String() string {
	switch s {
	case WireConnecting:
		return "connecting"
	case WireReady:
		return "ready"
	case WireFailed:
		return "failed"
	case WireClosed:
		return "closed"
	}
	return fmt.Sprintf("WireState(%d)", uint8(s))
}
