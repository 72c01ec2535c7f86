package rpc

import (
	"errors"
	"fmt"
)

// Code is the code of an ErrorResponse. The values are HTTP-styled, like
// the codes actr's signaling puts in its ErrorResponses; a handler may
// answer with any code through [Errorf]. A Code is also an error, so that
// errors.Is(err, rpc.CodeUnknownRoute) matches a remote [*Error] of that
// code.
type Code uint32

// The codes this package answers with by itself.
const (
	// CodeBadRequest: the request could not be decoded, or lacks what a
	// request must carry (route_key, request_id, timeout_ms > 0).
	CodeBadRequest Code = 400
	// CodeUnknownRoute: no handler is registered for the route key.
	CodeUnknownRoute Code = 404
	// CodeInternal: the handler returned an error that carries no code of
	// its own (not an [*Error]).
	CodeInternal Code = 500
	// CodeOverloaded: too many handlers run for the calling peer, or in
	// all; the caller may retry later.
	CodeOverloaded Code = 503
	// CodeDeadlineExceeded: the handler's deadline (the caller's) passed
	// before it answered.
	CodeDeadlineExceeded Code = 504
	// CodeHandlerPanic: the handler panicked; the panic was recovered and
	// logged on the server.
	CodeHandlerPanic Code = 520
)

func (c Code) Error() string {
	switch c {
	case CodeBadRequest:
		return "rpc: bad request"
	case CodeUnknownRoute:
		return "rpc: unknown route"
	case CodeInternal:
		return "rpc: handler failed"
	case CodeOverloaded:
		return "rpc: server overloaded"
	case CodeDeadlineExceeded:
		return "rpc: handler deadline exceeded"
	case CodeHandlerPanic:
		return "rpc: handler panicked"
	}
	return fmt.Sprintf("rpc: error code %d", uint32(c))
}

// Error is an ErrorResponse: the remote side answered a call with an error.
// Use errors.As to get it from what Call returns, and errors.Is with a
// [Code] to test its code.
type Error struct {
	Code    Code
	Message string
	// Route is the route key of the call it answered (set on the caller's
	// side; not sent).
	Route string
}

// Errorf makes an *Error; a handler returns it to answer with that code.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.Route != "" {
		return fmt.Sprintf("rpc: %s answered with error %d: %s", e.Route, uint32(e.Code), e.Message)
	}
	return fmt.Sprintf("rpc: error %d: %s", uint32(e.Code), e.Message)
}

// Is matches a Code equal to e's.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Local errors: the call never reached, or was given up on before, the
// peer.
var (
	// ErrClosed: the Endpoint has been closed.
	ErrClosed = errors.New("rpc: endpoint closed")
	// ErrNotBound: the Endpoint has no Sender yet; call Bind (or use
	// StartNode) before making calls.
	ErrNotBound = errors.New("rpc: endpoint not bound to a sender (call Endpoint.Bind with the node before calling)")
	// ErrTooManyCalls: the calls in flight to this peer reached
	// Config.MaxCallsPerPeer; wait for some to finish, or raise the limit.
	ErrTooManyCalls = errors.New("rpc: too many calls in flight to this peer (Config.MaxCallsPerPeer)")
	// ErrReplied: a deferred request was answered already (or its deadline
	// passed and it was answered for the handler).
	ErrReplied = errors.New("rpc: request already answered")
	// ErrNotStreamLane: chunks go on STREAM_RELIABLE or STREAM_LATENCY_FIRST.
	ErrNotStreamLane = errors.New("rpc: stream chunks need a stream payload type (STREAM_RELIABLE or STREAM_LATENCY_FIRST)")
	// ErrNotRPCLane: calls and tells go on RPC_RELIABLE or RPC_SIGNAL.
	ErrNotRPCLane = errors.New("rpc: calls need an RPC payload type (RPC_RELIABLE or RPC_SIGNAL)")
)
