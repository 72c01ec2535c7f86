package rpc

import (
	"context"

	"github.com/actr-go/actr/protocol"
)

// Handler serves the requests and tells of one route key. ServeRPC runs on
// a goroutine of its own (bounded by Config.MaxHandlersPerPeer and
// MaxHandlers), so a slow handler holds up no other call, not even the
// same peer's. Its ctx carries the caller's deadline (CallInfoFrom for
// who called, TraceContextFrom for the trace) and ends at that deadline or
// when the Endpoint closes.
//
// The returned bytes are the response's payload; a returned error becomes
// the response's ErrorResponse: an [*Error] keeps its code, any other error
// is CodeInternal with the error's text as message. For a tell both are
// discarded. A handler that calls req.Later answers through the
// [Responder] instead, from any goroutine, and what it returns is ignored.
type Handler interface {
	ServeRPC(ctx context.Context, req *Request) ([]byte, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, req *Request) ([]byte, error)

// ServeRPC calls f(ctx, req).
func (f HandlerFunc) ServeRPC(ctx context.Context, req *Request) ([]byte, error) { return f(ctx, req) }

// Request is one inbound request or tell.
type Request struct {
	CallInfo
	// Payload is the request's bytes; the handler owns them.
	Payload []byte

	job *job
}

// Later, called before the handler returns, makes the handler's return
// values be ignored: the request is
// answered through the returned Responder, from any goroutine, once. The
// request keeps its handler slot until then. If its ctx ends first (the
// caller's deadline, or the endpoint closing) it is answered with
// CodeDeadlineExceeded for the handler, and the Responder's methods return
// ErrReplied. For a tell the Responder's methods only release the slot.
func (r *Request) Later() *Responder {
	r.job.deferred.Store(true)
	return &Responder{j: r.job}
}

// Responder answers a request later; see Request.Later.
type Responder struct{ j *job }

// Reply answers with payload. It returns when the response was sent (or
// could not be: the error says why).
func (r *Responder) Reply(payload []byte) error { return r.j.finish(payload, nil) }

// Fail answers with err, as a handler's returned error would.
func (r *Responder) Fail(err error) error {
	if err == nil {
		err = Errorf(CodeInternal, "handler failed with a nil error")
	}
	return r.j.finish(nil, err)
}

// Done is closed when the request's ctx ends.
func (r *Responder) Done() <-chan struct{} { return r.j.ctx.Done() }

// routeTable maps route keys to handlers.
type routeTable map[string]Handler

func validRPCLane(pt protocol.PayloadType) bool {
	return pt == protocol.RPCReliable || pt == protocol.RPCSignal
}
