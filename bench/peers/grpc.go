package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/mem"
)

// rawCodec carries a *[]byte as it is: no protobuf marshalling of
// payloads. Marshal copies into one of grpc's pooled buffers (grpc may
// write the message after SendMsg returns, so it cannot keep the
// caller's slice, as a protobuf codec would not); Unmarshal copies into
// the destination's capacity, so a reader reusing its slice allocates
// nothing per message.
type rawCodec struct{}

func (rawCodec) Name() string { return "raw" }

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: %T, want *[]byte", v)
	}
	return mem.BufferSlice{mem.Copy(*p, mem.DefaultBufferPool())}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: %T, want *[]byte", v)
	}
	b := (*p)[:0]
	for _, d := range data {
		b = append(b, d.ReadOnlyData()...)
	}
	*p = b
	return nil
}

// The service: Echo sends every message back, Sink counts them; Unary is
// Echo as a unary call (one request, one response: what an actr call is).
var grpcService = grpc.ServiceDesc{
	ServiceName: "actrbench.Peers",
	HandlerType: (*any)(nil),
	Methods:     []grpc.MethodDesc{{MethodName: "Unary", Handler: grpcUnary}},
	Streams: []grpc.StreamDesc{
		{StreamName: "Echo", ServerStreams: true, ClientStreams: true, Handler: grpcEcho},
		{StreamName: "Sink", ServerStreams: true, ClientStreams: true, Handler: grpcSink},
	},
}

func grpcEcho(_ any, s grpc.ServerStream) error {
	var b []byte
	for {
		if err := s.RecvMsg(&b); err != nil {
			return nil
		}
		if err := s.SendMsg(&b); err != nil {
			return nil
		}
	}
}

func grpcUnary(_ any, _ context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
	var b []byte
	if err := dec(&b); err != nil {
		return nil, err
	}
	return &b, nil
}

func grpcSink(srv any, s grpc.ServerStream) error {
	c := srv.(*counter)
	var b []byte
	for {
		if err := s.RecvMsg(&b); err != nil {
			return nil
		}
		c.inc()
	}
}

func serveGRPC(_ context.Context, c *counter) ([]string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	s := grpc.NewServer(grpc.ForceServerCodecV2(rawCodec{}))
	s.RegisterService(&grpcService, c)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Serve(ln)
	}()
	return []string{ln.Addr().String()}, func() { s.Stop(); <-done }, nil
}

// grpcConn is one ClientConn; the round trips share one Echo stream,
// every sender has a Sink stream of its own (a stream takes one sender).
type grpcConn struct {
	cc     *grpc.ClientConn
	ctx    context.Context // ends the streams at close
	cancel context.CancelFunc

	mu   sync.Mutex
	echo grpc.ClientStream
}

func dialGRPC(ctx context.Context, _ *harness, info []string) (conn, time.Duration, error) {
	cc, err := grpc.NewClient(info[0], grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodecV2(rawCodec{})))
	if err != nil {
		return nil, 0, err
	}
	c := &grpcConn{cc: cc}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, 0, nil
}

func (c *grpcConn) stream(name string) (grpc.ClientStream, error) {
	return c.cc.NewStream(c.ctx, &grpcService.Streams[0], "/actrbench.Peers/"+name)
}

// grpcUnaryConn is grpcConn whose round trips are unary calls (each its
// own HTTP/2 stream); its senders are grpcConn's Sink streams.
type grpcUnaryConn struct{ *grpcConn }

func dialGRPCUnary(ctx context.Context, h *harness, info []string) (conn, time.Duration, error) {
	c, d, err := dialGRPC(ctx, h, info)
	if err != nil {
		return nil, d, err
	}
	return grpcUnaryConn{c.(*grpcConn)}, d, nil
}

func (c grpcUnaryConn) roundTripper(size int) (func(context.Context) error, error) {
	p := payload(tagEcho, size)
	var b []byte
	return func(ctx context.Context) error {
		return c.cc.Invoke(ctx, "/actrbench.Peers/Unary", &p, &b)
	}, nil
}

func (c *grpcConn) roundTripper(size int) (func(context.Context) error, error) {
	p := payload(tagEcho, size)
	var b []byte
	return func(context.Context) error {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.echo == nil { // the first round trip opens the stream (and connects)
			s, err := c.stream("Echo")
			if err != nil {
				return err
			}
			c.echo = s
		}
		if err := c.echo.SendMsg(&p); err != nil {
			return err
		}
		return c.echo.RecvMsg(&b)
	}, nil
}

func (c *grpcConn) sender(_ context.Context, size int) (func(context.Context) error, error) {
	s, err := c.stream("Sink")
	if err != nil {
		return nil, err
	}
	p := payload(tagSink, size)
	return func(context.Context) error { return s.SendMsg(&p) }, nil
}

func (c *grpcConn) close() {
	c.cancel()
	_ = c.cc.Close()
}
