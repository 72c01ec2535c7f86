package transport_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// flushingWire is a wire with data in flight until the test delivers it.
type flushingWire struct {
	transport.Wire
	flushing  chan struct{} // closed when Flush is called
	delivered chan struct{} // closed by the test: the data reached the peer
	closedAt  chan struct{} // closed when Close is called
}

func (w *flushingWire) Flush(ctx context.Context) error {
	close(w.flushing)
	select {
	case <-w.delivered:
		return nil
	case <-ctx.Done():
		return &transport.UnflushedError{Bytes: 1024, Err: ctx.Err()}
	}
}

func (w *flushingWire) Close() error {
	close(w.closedAt)
	return w.Wire.Close()
}

func flushingManager(t *testing.T, opts ...transport.Option) (*transport.OutprocManager, *flushingWire) {
	t.Helper()
	_, inner := newFabric(transport.WireWebSocket)
	w := &flushingWire{flushing: make(chan struct{}), delivered: make(chan struct{}), closedAt: make(chan struct{})}
	b := wrappingBuilder(inner, func(inner transport.Wire) transport.Wire { w.Wire = inner; return w })
	return newManager(t, b, opts...), w
}

// wrappingBuilder builds inner's first wire and hands back wrap of it: a
// test's own Wire around an in-memory one.
func wrappingBuilder(inner transport.WireBuilder, wrap func(transport.Wire) transport.Wire) transport.WireBuilder {
	return transport.WireBuilderFunc(func(ctx context.Context, req transport.BuildRequest) ([]transport.Wire, error) {
		ws, err := inner.Build(ctx, req)
		if err != nil {
			return nil, err
		}
		return []transport.Wire{wrap(ws[0])}, nil
	})
}

// Closing a transport flushes its wires before closing them: the wire is
// closed only after its data reached the peer.
func TestCloseTransportFlushesBeforeClosingWires(t *testing.T) {
	ctx := guard(t)
	m, w := flushingManager(t)
	dest := actor(1)
	if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("x")); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.CloseTransport(ctx, dest) }()
	<-w.flushing
	select {
	case <-w.closedAt:
		t.Fatal("the wire was closed while its data was still being flushed")
	default:
	}
	close(w.delivered)
	if err := <-done; err != nil {
		t.Fatalf("CloseTransport: %v", err)
	}
	<-w.closedAt
	if st := m.Stats(); st.Unflushed != 0 {
		t.Fatalf("Unflushed = %d after a complete flush", st.Unflushed)
	}
}

// When the bound ends first, the data still unsent is reported, in the
// error and in Stats, and the wire is closed anyway.
func TestCloseReportsWhatItCouldNotFlush(t *testing.T) {
	for _, how := range []string{"CloseTransport ctx", "close grace"} {
		t.Run(how, func(t *testing.T) {
			ctx := guard(t)
			var opts []transport.Option
			if how == "close grace" {
				opts = append(opts, transport.WithCloseGrace(time.Millisecond))
			}
			m, w := flushingManager(t, opts...)
			dest := actor(1)
			if err := m.Send(ctx, dest, protocol.RPCReliable, []byte("x")); err != nil {
				t.Fatal(err)
			}
			var err error
			if how == "close grace" {
				err = m.Close()
			} else {
				cctx, cancel := context.WithCancel(ctx)
				go func() { <-w.flushing; cancel() }()
				err = m.CloseTransport(cctx, dest)
			}
			var ue *transport.UnflushedError
			if !errors.Is(err, transport.ErrUnflushed) || !errors.As(err, &ue) || ue.Bytes != 1024 || ue.Kind != transport.WireWebSocket || ue.Dest != dest {
				t.Fatalf("close with the flush cut short: %v, want an *UnflushedError of 1024 bytes naming the wire", err)
			}
			<-w.closedAt
			if st := m.Stats(); st.Unflushed != 1 {
				t.Fatalf("Unflushed = %d, want 1", st.Unflushed)
			}
		})
	}
}
