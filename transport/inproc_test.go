package transport_test

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

func TestInprocManagerCarriesEnvelopesWithoutCopying(t *testing.T) {
	ctx := guard(t)
	m := transport.NewInprocManager(transport.WithLaneDepth(2))
	defer m.Close()
	for _, dest := range []transport.Dest{transport.Shell(), transport.Local()} {
		for _, pt := range protocol.DataPayloadTypes() {
			env := &protocol.RpcEnvelope{RouteKey: proto.String(dest.String() + "/" + pt.String()), Payload: []byte("p")}
			if err := m.Send(ctx, dest, pt, env); err != nil {
				t.Fatal(err)
			}
			got, err := m.Recv(ctx, dest, pt)
			if err != nil {
				t.Fatal(err)
			}
			if got != env {
				t.Fatal("the envelope was copied; in-process lanes pass the pointer")
			}
		}
	}
	// Lanes are separate: a message for Shell is not seen by Local.
	if err := m.Send(ctx, transport.Shell(), protocol.RPCReliable, &protocol.RpcEnvelope{}); err != nil {
		t.Fatal(err)
	}
	empty, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Recv(empty, transport.Local(), protocol.RPCReliable); !errors.Is(err, context.Canceled) {
		t.Fatalf("Recv on an empty lane: %v", err)
	}
}

func TestInprocManagerBoundsCtxAndClose(t *testing.T) {
	ctx := guard(t)
	m := transport.NewInprocManager(transport.WithLaneDepth(1))
	env := &protocol.RpcEnvelope{}
	if err := m.Send(ctx, transport.Local(), protocol.RPCSignal, env); err != nil {
		t.Fatal(err)
	}
	full, cancel := context.WithTimeout(ctx, 0)
	defer cancel()
	if err := m.Send(full, transport.Local(), protocol.RPCSignal, env); !errors.Is(err, transport.ErrTimeout) {
		t.Fatalf("Send to a full lane: %v, want ErrTimeout", err)
	}
	if err := m.Send(ctx, transport.Actor(actorID(1)), protocol.RPCSignal, env); !errors.Is(err, transport.ErrInvalidDest) {
		t.Fatalf("actor dest: %v", err)
	}
	if err := m.Send(ctx, transport.Local(), protocol.MediaRTP, env); !errors.Is(err, transport.ErrNoRoute) {
		t.Fatalf("MEDIA_RTP: %v", err)
	}
	if err := m.Send(ctx, transport.Local(), protocol.RPCSignal, nil); err == nil {
		t.Fatal("nil envelope accepted")
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := m.Recv(ctx, transport.Shell(), protocol.RPCReliable)
		blocked <- err
	}()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-blocked; !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("blocked Recv at Close: %v", err)
	}
	if err := m.Send(ctx, transport.Local(), protocol.RPCReliable, env); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Send after Close: %v", err)
	}
	if _, err := m.Recv(ctx, transport.Local(), protocol.RPCSignal); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Recv after Close: %v", err)
	}
	_ = m.Close()
}
