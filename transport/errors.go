package transport

import (
	"context"
	"errors"
	"fmt"

	"github.com/actr-go/actr/protocol"
)

// Sentinel errors. Test for them with errors.Is; the concrete errors returned
// usually wrap one of these with detail.
var (
	// ErrNoRoute: no lane can carry the message: the payload type has no
	// data lane (MEDIA_RTP), none of the peer's wires supports it, or every
	// wire of the peer has failed and none can recover.
	ErrNoRoute = errors.New("transport: no route")
	// ErrInvalidDest: the destination cannot be served by this manager.
	ErrInvalidDest = errors.New("transport: invalid destination")
	// ErrClosing: the destination is being closed; retry after CloseTransport returns.
	ErrClosing = errors.New("transport: destination is closing")
	// ErrClosed: the manager, transport, pool or wire has been closed.
	ErrClosed = errors.New("transport: closed")
	// ErrTimeout: the caller's context deadline passed. Errors that match it
	// also match context.DeadlineExceeded.
	ErrTimeout = errors.New("transport: timeout")
	// ErrConnectFailed: dialing the destination failed; see [ConnectError].
	ErrConnectFailed = errors.New("transport: connect failed")
	// ErrMessageTooLarge: the message exceeds the lane's maximum; see [MessageTooLargeError].
	ErrMessageTooLarge = errors.New("transport: message too large")
	// ErrLaneClosed: the lane can no longer carry messages. Wires return it
	// (wrapped or not) from Lane.Send so the transport can pick another lane.
	ErrLaneClosed = errors.New("transport: lane closed")
	// ErrWireClosed: the wire has been closed or has died.
	ErrWireClosed = errors.New("transport: wire closed")
	// ErrSuperseded: the peer refused the connection because its own
	// connection to us wins the tie-break of a simultaneous dial. A wire's
	// Connect returns it (wrapped); the pool then waits for the peer's
	// connection to be adopted instead of counting a failure.
	ErrSuperseded = errors.New("transport: duplicate connection superseded")
	// ErrPeerUnknown: an authority (the signaling service, a directory)
	// says the peer does not exist or is not online. A wire's Connect
	// returns it (wrapped); the pool does not retry such a wire, since
	// more attempts cannot help until the peer appears: the Send fails
	// at once and the next Send dials again.
	ErrPeerUnknown = errors.New("transport: peer unknown or offline")
	// ErrRefused: the peer, or an authority, refused this node for good:
	// its credential was not accepted, or its realm is not admitted. A
	// wire's Connect returns it (wrapped); the pool does not retry such a
	// wire, since more attempts with the same credential cannot succeed.
	ErrRefused = errors.New("transport: refused by the peer")
	// ErrTooManyDests: the manager holds as many destinations as
	// WithMaxDests allows; close idle ones or raise the limit.
	ErrTooManyDests = errors.New("transport: too many destinations")
	// ErrTooManyDials: as many dials are in flight as WithMaxPendingDials
	// allows; retry when some have finished, or raise the limit.
	ErrTooManyDials = errors.New("transport: too many dials in flight")
	// ErrNoWires: the builder offered no wire for the destination.
	ErrNoWires = errors.New("transport: builder returned no wires")
	// ErrNoHandler: an inbound message arrived but no Handler is installed.
	ErrNoHandler = errors.New("transport: no inbound handler installed")
	// ErrInboundFull: an inbound queue of a lossy payload type was full and
	// the message was dropped (and counted).
	ErrInboundFull = errors.New("transport: inbound queue full")
	// ErrStalled: the peer stopped reading: a wire's send buffer made no
	// progress for the wire's stall timeout, so the wire was failed to
	// free what it held for that peer. Wires return it (wrapped) from
	// Lane.Send and report it as the wire's failure; the peer is re-dialled
	// on the next Send like any other failed wire.
	ErrStalled = errors.New("transport: peer stopped reading")
)

// ConnectError reports a failed dial of a destination or of one of its wires.
type ConnectError struct {
	Dest     Dest
	Kind     WireKind // zero when the builder itself failed
	Attempts int      // connect attempts made, 0 when the builder failed
	Err      error    // the last underlying error
}

func (e *ConnectError) Error() string {
	if e.Kind == 0 {
		return fmt.Sprintf("transport: connect to %s failed: %v", e.Dest, e.Err)
	}
	return fmt.Sprintf("transport: connect to %s over %s failed after %d attempt(s): %v", e.Dest, e.Kind, e.Attempts, e.Err)
}

// Is makes errors.Is(err, ErrConnectFailed) true.
func (e *ConnectError) Is(target error) bool { return target == ErrConnectFailed }

func (e *ConnectError) Unwrap() error { return e.Err }

// NoRouteError reports that a message of a payload type could not be routed.
// Cause, when set, is why no lane exists (for example the [ConnectError] of
// the last wire that failed).
type NoRouteError struct {
	Dest        Dest
	PayloadType protocol.PayloadType
	Reason      string
	Cause       error
}

func (e *NoRouteError) Error() string {
	s := fmt.Sprintf("transport: no route to %s for %s: %s", e.Dest, e.PayloadType, e.Reason)
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

// Is makes errors.Is(err, ErrNoRoute) true.
func (e *NoRouteError) Is(target error) bool { return target == ErrNoRoute }

func (e *NoRouteError) Unwrap() error { return e.Cause }

// MessageTooLargeError reports a message bigger than a lane accepts.
type MessageTooLargeError struct {
	Size int // bytes in the message
	Max  int // the most the lane accepts
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("transport: message of %d bytes exceeds the maximum of %d; split it or raise the limit", e.Size, e.Max)
}

// Is makes errors.Is(err, ErrMessageTooLarge) true.
func (e *MessageTooLargeError) Is(target error) bool { return target == ErrMessageTooLarge }

// ctxError turns a finished context into the error a blocked call returns:
// it matches ErrTimeout and context.DeadlineExceeded on a deadline, and
// context.Canceled on cancellation.
func ctxError(ctx context.Context, what string) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return &timeoutError{what: what, err: context.Cause(ctx)}
	}
	return fmt.Errorf("transport: %s: %w", what, context.Cause(ctx))
}

type timeoutError struct {
	what string
	err  error
}

func (e *timeoutError) Error() string {
	return "transport: " + e.what + ": timeout: " + e.err.Error()
}

func (e *timeoutError) Is(target error) bool {
	return target == ErrTimeout || target == context.DeadlineExceeded
}

func (e *timeoutError) Unwrap() error { return e.err }

// Timeout reports true, like net.Error.
func (e *timeoutError) Timeout() bool { return true }
