package rpc

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// serveRequest starts the handler of a REQUEST or TELL on a goroutine of
// its own, or refuses it at once.
func (e *Endpoint) serveRequest(ctx context.Context, msg transport.Message, env *protocol.RpcEnvelope, tell bool) {
	route, id := env.GetRouteKey(), env.GetRequestId()
	ci := &CallInfo{From: msg.From, Route: route, RequestID: id, Lane: msg.Type, Tell: tell,
		Metadata: metadataFromProto(env.GetMetadata())}
	if !tell && (id == "" || len(id) > maxRequestID) {
		e.st.dropped[dropUnanswerable].Add(1)
		e.m.dropped(dropUnanswerable)
		return
	}
	refuse := func(code Code, format string, args ...any) {
		if tell {
			e.st.dropped[dropRefused].Add(1)
			e.m.dropped(dropRefused)
			return
		}
		e.m.handled(e.routeLabel(route), code)
		e.answerNow(ci, Errorf(code, format, args...))
	}
	if route == "" || len(route) > maxRouteKey {
		e.st.badRequests.Add(1)
		refuse(CodeBadRequest, "route_key must be 1 to %d bytes, not %d", maxRouteKey, len(route))
		return
	}
	timeout := e.cfg.DefaultTimeout
	if !tell {
		ms := env.GetTimeoutMs()
		if ms <= 0 {
			e.st.badRequests.Add(1)
			refuse(CodeBadRequest, "timeout_ms must be > 0 on a request, not %d", ms)
			return
		}
		timeout = time.Duration(min(ms, e.cfg.MaxTimeout.Milliseconds())) * time.Millisecond
	}
	h := e.handler(route)
	if h == nil {
		e.st.unknownRoutes.Add(1)
		refuse(CodeUnknownRoute, "no handler for route %q", route)
		return
	}
	slot := e.acquire(msg.From)
	if slot == errNoSlot && tell {
		// A tell cannot be told to retry: it waits for a slot, which
		// pushes back on the sender's lane, up to Config.TellWait.
		slot = e.waitSlot(ctx, msg.From)
	}
	switch slot {
	case errClosedSlot:
		e.st.dropped[dropRefused].Add(1)
		e.m.dropped(dropRefused)
		return
	case errNoSlot:
		e.st.overloaded.Add(1)
		refuse(CodeOverloaded, "too many requests being handled; retry later")
		return
	}
	hctx, cancel := context.WithTimeout(e.ctx, timeout)
	hctx = context.WithValue(hctx, callInfoKey{}, ci)
	if env.Traceparent != nil || env.Tracestate != nil {
		hctx = WithTraceContext(hctx, TraceContext{Traceparent: env.GetTraceparent(), Tracestate: env.GetTracestate()})
	}
	j := &job{e: e, ci: ci, ctx: hctx, cancel: cancel, start: time.Now(), label: route}
	req := &Request{CallInfo: *ci, Payload: env.GetPayload(), job: j}
	e.pool.run(func() { j.run(h, req) })
}

// routeLabel keeps metrics' route labels to the routes registered: a peer
// cannot grow them with made-up keys.
func (e *Endpoint) routeLabel(route string) string {
	if e.handler(route) == nil {
		return "unknown"
	}
	return route
}

// answerNow sends a refusal from the ServeMessage goroutine, bounded.
func (e *Endpoint) answerNow(ci *CallInfo, err error) {
	ctx, cancel := context.WithTimeout(e.ctx, e.cfg.ReplyTimeout)
	defer cancel()
	e.sendResponse(ctx, ci, nil, err)
}

func (e *Endpoint) sendResponse(ctx context.Context, ci *CallInfo, payload []byte, herr error) error {
	s, err := e.waitSender(ctx)
	if err == nil {
		var data []byte
		if data, err = proto.Marshal(responseEnvelope(ci.Route, ci.RequestID, payload, herr)); err == nil {
			err = s.Send(ctx, ci.From, ci.Lane, data)
		}
	}
	if err != nil {
		e.st.sendFailures.Add(1)
		e.m.replyFailed()
		e.log.Debug("rpc: response not sent", "to", ci.From, "route", ci.Route, "err", err)
		return fmt.Errorf("rpc: answering %s from %s: %w", ci.Route, ci.From, err)
	}
	return nil
}

type slotResult int

const (
	slotOK slotResult = iota
	errNoSlot
	errClosedSlot
)

func (e *Endpoint) acquire(from protocol.ActorID) slotResult {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.acquireLocked(from)
}

// waitSlot waits for a handler slot for from, until Config.TellWait has
// passed or ctx ends.
func (e *Endpoint) waitSlot(ctx context.Context, from protocol.ActorID) slotResult {
	t := time.NewTimer(e.cfg.TellWait)
	defer t.Stop()
	for {
		e.mu.Lock()
		r := e.acquireLocked(from)
		if r != errNoSlot {
			e.mu.Unlock()
			return r
		}
		if e.freed == nil {
			e.freed = make(chan struct{})
		}
		freed := e.freed
		e.mu.Unlock()
		select {
		case <-freed:
		case <-t.C:
			return errNoSlot
		case <-ctx.Done():
			return errNoSlot
		case <-e.ctx.Done():
			return errClosedSlot
		}
	}
}

func (e *Endpoint) acquireLocked(from protocol.ActorID) slotResult {
	switch {
	case e.closed:
		return errClosedSlot
	case e.handlers >= e.cfg.MaxHandlers, e.handlersPer[from] >= e.cfg.MaxHandlersPerPeer:
		return errNoSlot
	}
	e.handlers++
	e.handlersPer[from]++
	e.m.handlersInFlight(1)
	// The goroutine, and the job until answered; under the lock that
	// Close takes before waiting, so no Add races its Wait.
	e.wg.Add(2)
	return slotOK
}

func (e *Endpoint) release(from protocol.ActorID) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.handlers--
	if e.handlersPer[from]--; e.handlersPer[from] <= 0 {
		delete(e.handlersPer, from)
	}
	if e.freed != nil {
		close(e.freed)
		e.freed = nil
	}
	e.m.handlersInFlight(-1)
}

// job is one request being handled, from its handler's start until it is
// answered (or, for a tell, the handler returns).
type job struct {
	e      *Endpoint
	ci     *CallInfo
	ctx    context.Context
	cancel context.CancelFunc
	start  time.Time
	label  string

	deferred atomic.Bool
	once     sync.Once

	amu       sync.Mutex
	finished  bool
	stopAfter func() bool // set once a deferred handler has returned
}

func (j *job) run(h Handler, req *Request) {
	defer j.e.wg.Done()
	defer func() {
		if p := recover(); p != nil {
			j.e.st.panics.Add(1)
			j.e.log.Error("rpc: handler panicked", "route", j.ci.Route, "from", j.ci.From, "panic", p, "stack", string(debug.Stack()))
			_ = j.finish(nil, Errorf(CodeHandlerPanic, "the handler of %s panicked", j.ci.Route))
		}
	}()
	resp, err := h.ServeRPC(j.ctx, req)
	if j.deferred.Load() {
		j.armLater()
		return
	}
	_ = j.finish(resp, err)
}

// armLater answers a deferred request for its handler when its ctx ends
// first.
func (j *job) armLater() {
	j.amu.Lock()
	defer j.amu.Unlock()
	if j.finished || j.stopAfter != nil {
		return
	}
	j.stopAfter = context.AfterFunc(j.ctx, func() {
		_ = j.finish(nil, Errorf(CodeDeadlineExceeded, "the handler of %s did not answer before the deadline", j.ci.Route))
	})
}

// finish answers the request (unless it is a tell, or the endpoint is
// closing), releases its slot and ends its ctx. Only the first call does
// anything; later ones return ErrReplied.
func (j *job) finish(payload []byte, herr error) error {
	err := ErrReplied
	j.once.Do(func() {
		err = nil
		e := j.e
		j.amu.Lock()
		j.finished = true
		if j.stopAfter != nil {
			j.stopAfter()
		}
		j.amu.Unlock()
		if !j.ci.Tell && e.ctx.Err() == nil {
			ctx, cancel := context.WithTimeout(e.ctx, e.cfg.ReplyTimeout)
			err = e.sendResponse(ctx, j.ci, payload, herr)
			cancel()
		}
		code := Code(0)
		if herr != nil {
			code, _ = errorResponse(herr)
		}
		e.m.handled(j.label, code)
		e.m.handlerLatency(j.label, time.Since(j.start))
		e.release(j.ci.From)
		j.cancel()
		e.wg.Done()
	})
	return err
}
