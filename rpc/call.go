package rpc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// CallOption changes one Call or Tell.
type CallOption func(*callOptions)

type callOptions struct {
	lane protocol.PayloadType
	md   Metadata
	info *ResponseInfo
}

// ResponseInfo says how a call's response arrived (WithResponseInfo).
type ResponseInfo struct {
	// Wire is the kind of wire that carried it, Lane its payload type.
	Wire transport.WireKind
	Lane protocol.PayloadType
}

// WithResponseInfo has Call fill in ri when a response arrives.
func WithResponseInfo(ri *ResponseInfo) CallOption { return func(o *callOptions) { o.info = ri } }

// OnLane sends the envelope on pt's lane: RPC_RELIABLE (the default) or
// RPC_SIGNAL, actr's lane for small urgent messages that must not wait
// behind bulk RPC.
func OnLane(pt protocol.PayloadType) CallOption { return func(o *callOptions) { o.lane = pt } }

// WithMetadata adds metadata entries to the envelope.
func WithMetadata(md ...MetadataEntry) CallOption {
	return func(o *callOptions) { o.md = append(o.md, md...) }
}

func buildOptions(opts []CallOption) (callOptions, error) {
	o := callOptions{lane: protocol.RPCReliable}
	for _, f := range opts {
		f(&o)
	}
	if !validRPCLane(o.lane) {
		return o, fmt.Errorf("%w, not %s", ErrNotRPCLane, o.lane)
	}
	return o, nil
}

// pendingCall is one call waiting for its response.
type pendingCall struct {
	dest protocol.ActorID
	resp chan response // buffered 1: the one delivery never blocks
}

type response struct {
	env  *protocol.RpcEnvelope
	wire transport.WireKind
	lane protocol.PayloadType
}

// Call sends request to dest's route and returns the response's payload.
// The envelope carries a fresh request_id, timeout_ms from ctx's deadline
// (Config.DefaultTimeout when it has none, which then bounds the call
// too), the trace context of ctx (WithTraceContext) and the options'
// metadata. Call returns when the response arrives, ctx ends (an error
// matching ctx.Err(); a response arriving later is dropped and counted in
// Stats.Orphans) or the endpoint closes (ErrClosed). A response with an
// ErrorResponse is returned as an [*Error]. actr's envelope has no
// cancel message: a call given up on is not signalled to the server, whose
// handler runs on to its own deadline (the caller's, sent as timeout_ms).
func (e *Endpoint) Call(ctx context.Context, dest protocol.ActorID, route string, request []byte, opts ...CallOption) ([]byte, error) {
	start := time.Now()
	resp, outcome, err := e.call(ctx, dest, route, request, opts)
	e.m.call(route, outcome, time.Since(start))
	return resp, err
}

func (e *Endpoint) call(ctx context.Context, dest protocol.ActorID, route string, request []byte, opts []CallOption) ([]byte, string, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, outcomeRefused, err
	}
	s, err := e.boundSender()
	if err != nil {
		return nil, outcomeRefused, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.cfg.DefaultTimeout)
		defer cancel()
	}
	deadline, _ := ctx.Deadline()
	left := time.Until(deadline)
	if err := ctx.Err(); err != nil || left <= 0 {
		return nil, ctxOutcome(ctx), e.ctxError(ctx, route, dest)
	}
	c := &pendingCall{dest: dest, resp: make(chan response, 1)}
	id, err := e.addCall(c)
	if err != nil {
		return nil, outcomeRefused, fmt.Errorf("rpc: call %s to %s: %w", route, dest, err)
	}
	env := requestEnvelope(route, request, id, timeoutMillis(left), o.md, ctx)
	data, err := proto.Marshal(env)
	if err == nil {
		err = s.Send(ctx, dest, o.lane, data)
	}
	if err != nil {
		e.removeCall(id, c)
		if ctx.Err() != nil {
			return nil, ctxOutcome(ctx), e.ctxError(ctx, route, dest)
		}
		return nil, outcomeSendFailed, fmt.Errorf("rpc: call %s to %s: sending the request: %w", route, dest, err)
	}
	select {
	case r := <-c.resp:
		return result(route, r, o.info)
	case <-ctx.Done():
	case <-e.ctx.Done():
	}
	if !e.removeCall(id, c) {
		// The response won the race: it is ours.
		return result(route, <-c.resp, o.info)
	}
	if e.ctx.Err() != nil && ctx.Err() == nil {
		return nil, outcomeRefused, fmt.Errorf("rpc: call %s to %s: %w", route, dest, ErrClosed)
	}
	return nil, ctxOutcome(ctx), e.ctxError(ctx, route, dest)
}

// timeoutMillis rounds up, so a call never announces less time than it
// waits, and is at least 1 (actr requires > 0).
func timeoutMillis(d time.Duration) int64 {
	return max(1, int64((d+time.Millisecond-1)/time.Millisecond))
}

func (e *Endpoint) ctxError(ctx context.Context, route string, dest protocol.ActorID) error {
	return fmt.Errorf("rpc: call %s to %s: %w", route, dest, ctx.Err())
}

func result(route string, resp response, info *ResponseInfo) ([]byte, string, error) {
	if info != nil {
		*info = ResponseInfo{Wire: resp.wire, Lane: resp.lane}
	}
	r := resp.env
	if re := r.GetError(); re != nil {
		return nil, outcomeError, &Error{Code: Code(re.GetCode()), Message: re.GetMessage(), Route: route}
	}
	p := r.GetPayload()
	if p == nil {
		p = []byte{}
	}
	return p, outcomeOK, nil
}

// addCall reserves a request id for c within the peer's budget.
func (e *Endpoint) addCall(c *pendingCall) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return "", ErrClosed
	}
	if e.callsPer[c.dest] >= e.cfg.MaxCallsPerPeer {
		return "", ErrTooManyCalls
	}
	id := e.newRequestID()
	e.calls[id] = c
	e.callsPer[c.dest]++
	e.m.callsInFlight(1)
	return id, nil
}

// removeCall forgets the call id if it is still c's, and says whether it
// was (false: its response took it first).
func (e *Endpoint) removeCall(id string, c *pendingCall) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.removeCallLocked(id, c)
}

func (e *Endpoint) removeCallLocked(id string, c *pendingCall) bool {
	if e.calls[id] != c {
		return false
	}
	delete(e.calls, id)
	if e.callsPer[c.dest]--; e.callsPer[c.dest] <= 0 {
		delete(e.callsPer, c.dest)
	}
	e.m.callsInFlight(-1)
	return true
}

// deliverResponse wakes the call env answers, if it is in flight and was
// made to the peer that answered; anything else is an orphan.
func (e *Endpoint) deliverResponse(msg transport.Message, env *protocol.RpcEnvelope) {
	from := msg.From
	id := env.GetRequestId()
	e.mu.Lock()
	c := e.calls[id]
	if c == nil || c.dest != from {
		e.mu.Unlock()
		e.st.dropped[dropOrphan].Add(1)
		e.m.dropped(dropOrphan)
		e.log.Debug("rpc: response to no call in flight dropped", "from", from, "request_id", truncate(id, 64))
		return
	}
	e.removeCallLocked(id, c)
	e.mu.Unlock()
	c.resp <- response{env: env, wire: msg.Wire, lane: msg.Type}
}

// Tell sends msg to dest's route as a DIRECTION_TELL: never answered. It
// returns once the transport took the envelope.
func (e *Endpoint) Tell(ctx context.Context, dest protocol.ActorID, route string, msg []byte, opts ...CallOption) error {
	o, err := buildOptions(opts)
	if err != nil {
		return err
	}
	s, err := e.boundSender()
	if err != nil {
		return err
	}
	env := tellEnvelope(route, msg, e.newRequestID(), o.md, ctx)
	data, err := proto.Marshal(env)
	if err == nil {
		err = s.Send(ctx, dest, o.lane, data)
	}
	if err != nil {
		e.m.call(route, outcomeSendFailed, 0)
		return fmt.Errorf("rpc: tell %s to %s: %w", route, dest, err)
	}
	e.m.call(route, outcomeTold, 0)
	return nil
}

// Outcomes of calls, as metrics label them.
const (
	outcomeOK         = "ok"
	outcomeError      = "error"
	outcomeDeadline   = "deadline"
	outcomeCancelled  = "cancelled"
	outcomeSendFailed = "send_failed"
	outcomeRefused    = "refused"
	outcomeTold       = "told"
)

func ctxOutcome(ctx context.Context) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return outcomeDeadline
	}
	return outcomeCancelled
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
