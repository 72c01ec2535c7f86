package rpc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
)

// A call reaches the handler with the caller's identity, metadata, trace
// context and deadline, and returns the handler's bytes.
func TestCallCarriesCallerContext(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	got := make(chan rpc.CallInfo, 1)
	var deadline time.Time
	var trace rpc.TraceContext
	b.HandleFunc("acme.Echo.Say", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		ci, _ := rpc.CallInfoFrom(ctx)
		deadline, _ = ctx.Deadline()
		trace, _ = rpc.TraceContextFrom(ctx)
		got <- ci
		return echo(ctx, req)
	})
	cctx := rpc.WithTraceContext(ctx, rpc.TraceContext{Traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Tracestate: "k=v"})
	resp, err := a.Call(cctx, bob, "acme.Echo.Say", []byte("hi"), rpc.WithMetadata(rpc.MetadataEntry{Key: "user", Value: "u1"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(resp) != "echo:hi" {
		t.Fatalf("response %q", resp)
	}
	ci := <-got
	if ci.From != alice || ci.Route != "acme.Echo.Say" || ci.RequestID == "" || ci.Tell || ci.Lane != protocol.RPCReliable {
		t.Fatalf("call info %+v", ci)
	}
	if v, _ := ci.Metadata.Get("user"); v != "u1" {
		t.Fatalf("metadata %v", ci.Metadata)
	}
	if trace.Traceparent != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" || trace.Tracestate != "k=v" {
		t.Fatalf("trace %+v", trace)
	}
	if want, _ := ctx.Deadline(); deadline.IsZero() || deadline.After(want.Add(time.Second)) {
		t.Fatalf("handler deadline %v, caller's %v", deadline, want)
	}
	if st := a.Stats(); st.CallsInFlight != 0 || st.Orphans != 0 {
		t.Fatalf("caller stats %+v", st)
	}
}

// A call without a deadline announces Config.DefaultTimeout.
func TestCallWithoutDeadlineGetsDefault(t *testing.T) {
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{DefaultTimeout: 7 * time.Second})
	b := f.endpoint(t, bob, rpc.Config{})
	var left time.Duration
	b.HandleFunc("r", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		d, _ := ctx.Deadline()
		left = time.Until(d)
		return nil, nil
	})
	resp, err := a.Call(context.Background(), bob, "r", nil)
	if err != nil || resp == nil || len(resp) != 0 {
		t.Fatalf("Call: %q, %v", resp, err)
	}
	if left <= 0 || left > 7*time.Second {
		t.Fatalf("handler had %v left", left)
	}
}

// RPC_SIGNAL on request: the handler sees the lane, and the response comes
// back on it.
func TestCallOnSignalLane(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	var lane protocol.PayloadType = -1
	b.HandleFunc("r", func(ctx context.Context, req *rpc.Request) ([]byte, error) { lane = req.Lane; return nil, nil })
	if _, err := a.Call(ctx, bob, "r", nil, rpc.OnLane(protocol.RPCSignal)); err != nil {
		t.Fatal(err)
	}
	if lane != protocol.RPCSignal {
		t.Fatalf("lane %v", lane)
	}
	for _, s := range f.sends() {
		if s.lane != protocol.RPCSignal {
			t.Fatalf("sent on %v", s.lane)
		}
	}
	if _, err := a.Call(ctx, bob, "r", nil, rpc.OnLane(protocol.StreamReliable)); !errors.Is(err, rpc.ErrNotRPCLane) {
		t.Fatalf("stream lane: %v", err)
	}
}

// Errors: a plain error is CodeInternal with its text, an *Error keeps
// its code, an unknown route is CodeUnknownRoute, a panic
// CodeHandlerPanic; the caller gets each as *rpc.Error, and the server
// goes on serving.
func TestCallErrors(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	b.HandleFunc("plain", func(context.Context, *rpc.Request) ([]byte, error) { return nil, errors.New("disk full") })
	b.HandleFunc("coded", func(context.Context, *rpc.Request) ([]byte, error) {
		return nil, rpc.Errorf(409, "already there")
	})
	b.HandleFunc("panics", func(context.Context, *rpc.Request) ([]byte, error) { panic("boom") })
	b.HandleFunc("echo", echo)
	for _, c := range []struct {
		route string
		code  rpc.Code
		msg   string
	}{
		{"plain", rpc.CodeInternal, "disk full"},
		{"coded", 409, "already there"},
		{"nowhere", rpc.CodeUnknownRoute, `no handler for route "nowhere"`},
		{"panics", rpc.CodeHandlerPanic, "the handler of panics panicked"},
	} {
		_, err := a.Call(ctx, bob, c.route, []byte("x"))
		var re *rpc.Error
		if !errors.As(err, &re) || re.Code != c.code || re.Message != c.msg || re.Route != c.route || !errors.Is(err, c.code) {
			t.Errorf("%s: %v (%#v)", c.route, err, re)
		}
	}
	if resp, err := a.Call(ctx, bob, "echo", []byte("still")); err != nil || string(resp) != "echo:still" {
		t.Fatalf("after the errors: %q, %v", resp, err)
	}
	_ = b.Close() // waits for the handlers, whose slots are freed after their replies went
	if st := b.Stats(); st.Panics != 1 || st.UnknownRoutes != 1 || st.HandlersInFlight != 0 {
		t.Fatalf("server stats %+v", st)
	}
}

// A handler answers later, from another goroutine.
func TestHandlerRepliesLater(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	later := make(chan *rpc.Responder, 1)
	b.HandleFunc("later", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		later <- req.Later()
		return []byte("ignored"), nil
	})
	done := make(chan error, 1)
	go func() {
		r := <-later
		err := r.Reply([]byte("from elsewhere"))
		if again := r.Reply([]byte("twice")); !errors.Is(again, rpc.ErrReplied) {
			err = errors.Join(err, errors.New("second Reply: "+errString(again)))
		}
		done <- err
	}()
	resp, err := a.Call(ctx, bob, "later", nil)
	if err != nil || string(resp) != "from elsewhere" {
		t.Fatalf("Call: %q, %v", resp, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func errString(err error) string {
	if err == nil {
		return "nil"
	}
	return err.Error()
}

// A tell runs its handler and is never answered.
func TestTell(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	b := f.endpoint(t, bob, rpc.Config{})
	told := make(chan rpc.CallInfo, 1)
	b.HandleFunc("note", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		told <- req.CallInfo
		return []byte("never sent"), errors.New("never sent either")
	})
	if err := a.Tell(ctx, bob, "note", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if ci := <-told; !ci.Tell || ci.From != alice {
		t.Fatalf("call info %+v", ci)
	}
	// Unknown routes of tells are dropped, not answered.
	if err := a.Tell(ctx, bob, "nowhere", nil); err != nil {
		t.Fatal(err)
	}
	_ = b.Close() // waits for the tell's handler
	for _, s := range f.sends() {
		if s.from == bob {
			t.Fatalf("bob sent %x", s.data)
		}
	}
	if st := b.Stats(); st.TellsRefused != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// A caller that is closed returns ErrClosed from Call, and refuses new
// calls.
func TestCallAfterClose(t *testing.T) {
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{})
	_ = a.Close()
	if _, err := a.Call(context.Background(), bob, "r", nil); !errors.Is(err, rpc.ErrClosed) {
		t.Fatalf("Call after Close: %v", err)
	}
	unbound := rpc.New(rpc.Config{})
	defer unbound.Close()
	if _, err := unbound.Call(context.Background(), bob, "r", nil); !errors.Is(err, rpc.ErrNotBound) {
		t.Fatalf("Call unbound: %v", err)
	}
}
