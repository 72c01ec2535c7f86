package rpc

import (
	"context"
	"errors"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

func requestEnvelope(route string, payload []byte, id string, timeoutMs int64, md Metadata, ctx context.Context) *protocol.RpcEnvelope {
	env := &protocol.RpcEnvelope{RouteKey: &route, Payload: nonNil(payload), RequestId: &id, TimeoutMs: &timeoutMs,
		Direction: protocol.RpcEnvelope_DIRECTION_REQUEST.Enum(), Metadata: md.proto()}
	setTrace(env, ctx)
	return env
}

func tellEnvelope(route string, payload []byte, id string, md Metadata, ctx context.Context) *protocol.RpcEnvelope {
	var zero int64
	env := &protocol.RpcEnvelope{RouteKey: &route, Payload: nonNil(payload), RequestId: &id, TimeoutMs: &zero,
		Direction: protocol.RpcEnvelope_DIRECTION_TELL.Enum(), Metadata: md.proto()}
	setTrace(env, ctx)
	return env
}

// responseEnvelope answers request id of route with payload, or with err
// when it is not nil.
func responseEnvelope(route, id string, payload []byte, err error) *protocol.RpcEnvelope {
	var zero int64
	env := &protocol.RpcEnvelope{RouteKey: &route, RequestId: &id, TimeoutMs: &zero, Payload: nonNil(payload),
		Direction: protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum()}
	if err != nil {
		code, msg := errorResponse(err)
		env.Payload = []byte{}
		env.Error = &protocol.ErrorResponse{Code: proto.Uint32(uint32(code)), Message: &msg}
	}
	return env
}

// errorResponse is the code and message an error is answered with.
func errorResponse(err error) (Code, string) {
	var re *Error
	var c Code
	switch {
	case errors.As(err, &re):
		return re.Code, re.Message
	case errors.As(err, &c):
		return c, c.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return CodeDeadlineExceeded, err.Error()
	}
	return CodeInternal, err.Error()
}

func setTrace(env *protocol.RpcEnvelope, ctx context.Context) {
	if tc, ok := TraceContextFrom(ctx); ok {
		if tc.Traceparent != "" {
			env.Traceparent = &tc.Traceparent
		}
		if tc.Tracestate != "" {
			env.Tracestate = &tc.Tracestate
		}
	}
}

// nonNil makes an empty payload present on the wire (field 2 with length
// 0), as actr's required bytes payload is.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
