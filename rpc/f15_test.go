package rpc_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/transport"
)

// The caller returns at its deadline; the handler's ctx ends then too;
// the response it sends late is dropped and counted, never taken as a
// request (DESIGN F15).
func TestTimeoutLateResponseIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFabric()
		a := f.endpoint(t, alice, rpc.Config{})
		b := f.endpoint(t, bob, rpc.Config{})
		ran := 0
		a.HandleFunc("slow", func(context.Context, *rpc.Request) ([]byte, error) { ran++; return nil, nil })
		handlerSaw := make(chan error, 1)
		callerReturned := make(chan struct{})
		b.HandleFunc("slow", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
			<-ctx.Done()
			handlerSaw <- ctx.Err()
			// Both deadlines are the same instant; answer once the
			// caller has given up, as a late answer does.
			<-callerReturned
			return []byte("too late"), nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := a.Call(ctx, bob, "slow", nil)
		close(callerReturned)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Call: %v", err)
		}
		if d := time.Since(start); d != 250*time.Millisecond {
			t.Fatalf("Call returned after %v, at its deadline of 250ms", d)
		}
		if err := <-handlerSaw; !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("handler's ctx: %v", err)
		}
		synctest.Wait()
		if st := a.Stats(); st.Orphans != 1 || st.CallsInFlight != 0 {
			t.Fatalf("caller stats %+v", st)
		}
		if ran != 0 {
			t.Fatal("the late response ran the caller's handler of the same route")
		}
	})
}

// A cancelled call returns context.Canceled at once; its response is an
// orphan.
func TestCancelledCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFabric()
		a := f.endpoint(t, alice, rpc.Config{})
		b := f.endpoint(t, bob, rpc.Config{})
		release := make(chan struct{})
		started := make(chan struct{})
		b.HandleFunc("held", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
			close(started)
			<-release
			return nil, nil
		})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		if _, err := a.Call(ctx, bob, "held", nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("Call: %v", err)
		}
		close(release)
		synctest.Wait()
		if st := a.Stats(); st.Orphans != 1 || st.CallsInFlight != 0 {
			t.Fatalf("caller stats %+v", st)
		}
	})
}

// A deferred request never answered is answered for its handler at its
// deadline with CodeDeadlineExceeded (here the server's MaxTimeout, which
// ends before the caller's deadline).
func TestDeferredRequestExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFabric()
		a := f.endpoint(t, alice, rpc.Config{})
		b := f.endpoint(t, bob, rpc.Config{MaxTimeout: time.Second})
		var r *rpc.Responder
		b.HandleFunc("forgets", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
			r = req.Later()
			return nil, nil
		})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		if _, err := a.Call(ctx, bob, "forgets", nil); !errors.Is(err, rpc.CodeDeadlineExceeded) {
			t.Fatalf("Call: %v", err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("answered after %v, at the server's 1s", d)
		}
		synctest.Wait()
		if st := b.Stats(); st.HandlersInFlight != 0 {
			t.Fatalf("server stats %+v", st)
		}
		if err := r.Reply([]byte("late")); !errors.Is(err, rpc.ErrReplied) {
			t.Fatalf("Reply after expiry: %v", err)
		}
	})
}

func envelope(dir *protocol.RpcEnvelope_Direction, route, id string, timeoutMs int64) []byte {
	env := &protocol.RpcEnvelope{RouteKey: &route, RequestId: &id, Payload: []byte("p"), Direction: dir, TimeoutMs: &timeoutMs}
	b, err := proto.Marshal(env)
	if err != nil {
		panic(err)
	}
	return b
}

// Responses for no call in flight, envelopes without a direction, and
// requests stamped RESPONSE never run a handler; each is counted.
func TestStrayEnvelopesAreDropped(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	fallback := make(chan transport.Message, 4)
	b := f.endpoint(t, bob, rpc.Config{Fallback: transport.HandlerFunc(func(_ context.Context, m transport.Message) { fallback <- m })})
	ran := 0
	b.HandleFunc("r", func(context.Context, *rpc.Request) ([]byte, error) { ran++; return nil, nil })
	resp := protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum()
	unknownDir := protocol.RpcEnvelope_Direction(9)
	for _, data := range [][]byte{
		envelope(resp, "r", "no-such-call", 1000),
		envelope(resp, "r", "", 1000),
		envelope(nil, "r", "id1", 1000),
		envelope(protocol.RpcEnvelope_DIRECTION_UNSPECIFIED.Enum(), "r", "id2", 1000),
		envelope(&unknownDir, "r", "id3", 1000),
	} {
		b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.RPCReliable, Data: data})
	}
	_ = b.Close()
	if ran != 0 {
		t.Fatalf("a handler ran %d times", ran)
	}
	st := b.Stats()
	if st.Orphans != 2 || st.NoDirection != 3 {
		t.Fatalf("stats %+v", st)
	}
	if len(fallback) != 3 {
		t.Fatalf("fallback got %d, want the 3 without a direction", len(fallback))
	}
	if len(f.sends()) != 0 {
		t.Fatalf("bob answered: %d sends", len(f.sends()))
	}
}

// A response from another peer than the callee does not answer the call.
func TestResponseFromAnotherPeerIsAnOrphan(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	release := make(chan struct{})
	var id string
	b.HandleFunc("held", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		id = req.RequestID
		spoof := envelope(protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum(), "held", id, 0)
		a.ServeMessage(ctx, transport.Message{From: carol, Type: protocol.RPCReliable, Data: spoof})
		close(release)
		return []byte("the real one"), nil
	})
	resp, err := a.Call(ctx, bob, "held", nil)
	<-release
	if err != nil || string(resp) != "the real one" {
		t.Fatalf("Call: %q, %v", resp, err)
	}
	if st := a.Stats(); st.Orphans != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Requests that cannot be served are refused with CodeBadRequest, or
// dropped when they carry no request_id to answer.
func TestMalformedRequests(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	b.HandleFunc("r", echo)
	req := protocol.RpcEnvelope_DIRECTION_REQUEST.Enum()
	b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.RPCReliable, Data: envelope(req, "r", "", 1000)})
	b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.RPCReliable, Data: envelope(req, "r", "x", 0)})
	b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.RPCReliable, Data: envelope(req, "", "y", 1000)})
	b.ServeMessage(ctx, transport.Message{From: alice, Type: protocol.RPCReliable, Data: []byte{0xff, 0xff}})
	st := b.Stats()
	if st.Unanswerable != 1 || st.BadRequests != 2 || st.Undecodable != 1 {
		t.Fatalf("stats %+v", st)
	}
	codes := 0
	for _, s := range f.sends() {
		var env protocol.RpcEnvelope
		if s.from == bob && proto.Unmarshal(s.data, &env) == nil && env.GetError().GetCode() == uint32(rpc.CodeBadRequest) {
			codes++
		}
	}
	if codes != 2 {
		t.Fatalf("%d CodeBadRequest answers, want 2", codes)
	}
	if st := a.Stats(); st.Orphans != 2 {
		t.Fatalf("alice: %+v", st) // the answers to requests alice never made
	}
}
