package rpc

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// ClientConn is what generated clients call through: a Conn (one peer of
// an Endpoint) is one.
type ClientConn interface {
	Invoke(ctx context.Context, route string, in, out proto.Message, opts ...CallOption) error
}

// Registrar is what generated Register functions register with: an
// Endpoint is one.
type Registrar interface {
	Handle(route string, h Handler)
}

// Conn is an Endpoint's calls to one peer, for generated clients:
// NewEchoClient(ep.Conn(peer)).Say(ctx, req).
type Conn struct {
	e    *Endpoint
	dest protocol.ActorID
}

// Conn returns the calls to dest.
func (e *Endpoint) Conn(dest protocol.ActorID) *Conn { return &Conn{e: e, dest: dest} }

// Dest is the peer the Conn calls.
func (c *Conn) Dest() protocol.ActorID { return c.dest }

// Invoke calls route with in encoded and decodes the response into out.
// A response that does not decode is an error matching CodeBadRequest
// (the peer answered with something else than the method's type).
func (c *Conn) Invoke(ctx context.Context, route string, in, out proto.Message, opts ...CallOption) error {
	req, err := proto.Marshal(in)
	if err != nil {
		return fmt.Errorf("rpc: encoding the request of %s: %w", route, err)
	}
	resp, err := c.e.Call(ctx, c.dest, route, req, opts...)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(resp, out); err != nil {
		return &Error{Code: CodeBadRequest, Message: fmt.Sprintf("the response does not decode as %s: %v", out.ProtoReflect().Descriptor().FullName(), err), Route: route}
	}
	return nil
}

// Tell sends in to route as a tell.
func (c *Conn) Tell(ctx context.Context, route string, in proto.Message, opts ...CallOption) error {
	b, err := proto.Marshal(in)
	if err != nil {
		return fmt.Errorf("rpc: encoding the tell of %s: %w", route, err)
	}
	return c.e.Tell(ctx, c.dest, route, b, opts...)
}

// Unary makes a Handler of a typed method: the request is decoded
// (CodeBadRequest if it does not), fn called, and its response encoded.
// Generated Register functions use it.
func Unary[Req any, PReq interface {
	*Req
	proto.Message
}, Resp proto.Message](fn func(context.Context, PReq) (Resp, error)) Handler {
	return HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		in := PReq(new(Req))
		if err := proto.Unmarshal(req.Payload, in); err != nil {
			return nil, Errorf(CodeBadRequest, "the request does not decode as %s: %v", in.ProtoReflect().Descriptor().FullName(), err)
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return proto.Marshal(out)
	})
}
