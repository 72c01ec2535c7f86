package rpc_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/rpc"
)

// 10,000 calls from 16 goroutines, up to 512 in flight at once, over the
// transport (its sequential inbound queue per peer and lane in the path):
// each is answered exactly once, with its own response.
func TestManyConcurrentCalls(t *testing.T) {
	ctx := guard(t)
	const goroutines, perGoroutine, window = 16, 625, 32
	a, b, _, _ := pair(t, rpc.Config{}, rpc.Config{MaxHandlersPerPeer: 2 * goroutines * window}) // a slot is freed once its response is sent, which may be after the caller has its next call out
	var served [goroutines * perGoroutine]atomic.Int32
	b.HandleFunc("acme.Echo.Say", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		n, err := strconv.Atoi(string(req.Payload))
		if err != nil || n < 0 || n >= len(served) {
			return nil, fmt.Errorf("bad request %q", req.Payload)
		}
		served[n].Add(1)
		return echo(ctx, req)
	})
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			var inner sync.WaitGroup
			sem := make(chan struct{}, window)
			var failed atomic.Pointer[error]
			for i := range perGoroutine {
				n := g*perGoroutine + i
				sem <- struct{}{}
				inner.Go(func() {
					defer func() { <-sem }()
					want := "echo:" + strconv.Itoa(n)
					resp, err := a.Call(ctx, bob, "acme.Echo.Say", []byte(strconv.Itoa(n)))
					if err == nil && string(resp) != want {
						err = fmt.Errorf("call %d got %q", n, resp)
					}
					if err != nil {
						failed.CompareAndSwap(nil, &err)
					}
				})
			}
			inner.Wait()
			if p := failed.Load(); p != nil {
				errs <- *p
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for n := range served {
		if c := served[n].Load(); c != 1 {
			t.Fatalf("request %d served %d times", n, c)
		}
	}
	if st := a.Stats(); st.Orphans != 0 || st.CallsInFlight != 0 {
		t.Fatalf("caller stats %+v", st)
	}
}

// One slow route holds up no other: while its handler blocks, calls to
// another route of the same peer, on the same lane, are answered.
func TestSlowRouteDoesNotBlockOthers(t *testing.T) {
	ctx := guard(t)
	a, b, _, _ := pair(t, rpc.Config{}, rpc.Config{})
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	b.HandleFunc("slow", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		started <- struct{}{}
		<-release
		return []byte("slow done"), nil
	})
	b.HandleFunc("fast", echo)
	slow := make(chan error, 4)
	for range 4 {
		go func() { _, err := a.Call(ctx, bob, "slow", nil); slow <- err }()
	}
	for range 4 {
		<-started
	}
	for i := range 20 {
		if resp, err := a.Call(ctx, bob, "fast", []byte{byte('a' + i)}); err != nil || string(resp) != "echo:"+string(rune('a'+i)) {
			t.Fatalf("fast call %d: %q, %v", i, resp, err)
		}
	}
	close(release)
	for range 4 {
		if err := <-slow; err != nil {
			t.Fatal(err)
		}
	}
}

// Limits: calls in flight per peer on the caller (ErrTooManyCalls), and
// handlers per peer on the server (CodeOverloaded) — another peer is still
// served.
func TestLimits(t *testing.T) {
	ctx := guard(t)
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{MaxCallsPerPeer: 2})
	b := f.endpoint(t, bob, rpc.Config{MaxHandlersPerPeer: 1})
	c := f.endpoint(t, carol, rpc.Config{})
	release := make(chan struct{})
	started := make(chan struct{}, 2)
	b.HandleFunc("held", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		started <- struct{}{}
		<-release
		return nil, nil
	})
	c.HandleFunc("held", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		started <- struct{}{}
		<-release
		return nil, nil
	})
	results := make(chan error, 2)
	go func() { _, err := a.Call(ctx, bob, "held", nil); results <- err }()
	<-started
	// bob runs one handler for alice at most.
	if _, err := a.Call(ctx, bob, "held", nil); !errors.Is(err, rpc.CodeOverloaded) {
		t.Fatalf("second concurrent call to bob: %v", err)
	}
	go func() { _, err := a.Call(ctx, carol, "held", nil); results <- err }()
	<-started
	// alice has two calls in flight to... one to bob and one to carol:
	// per peer, so a second to carol is still allowed by alice's budget
	// of 2; a third to bob is not refused by alice but by bob.
	second := make(chan error, 1)
	go func() { _, err := a.Call(ctx, carol, "held", nil); second <- err }()
	<-started
	if _, err := a.Call(ctx, carol, "held", nil); !errors.Is(err, rpc.ErrTooManyCalls) {
		t.Fatalf("third call in flight to carol: %v", err)
	}
	close(release)
	for _, ch := range []chan error{results, results, second} {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	if st := b.Stats(); st.Overloaded != 1 {
		t.Fatalf("bob: %+v", st)
	}
}

// A handler that answers after its caller's node has closed: the answer
// fails and is counted, nothing panics, and the server serves on.
func TestReplyAfterCallerClosed(t *testing.T) {
	ctx := guard(t)
	a, b, am, _ := pair(t, rpc.Config{}, rpc.Config{ReplyTimeout: 500 * time.Millisecond})
	release := make(chan struct{})
	started := make(chan struct{})
	answered := make(chan error, 1)
	b.HandleFunc("held", func(ctx context.Context, req *rpc.Request) ([]byte, error) {
		r := req.Later()
		close(started)
		go func() {
			<-release
			answered <- r.Reply([]byte("nobody listens"))
		}()
		return nil, nil
	})
	called := make(chan error, 1)
	go func() { _, err := a.Call(ctx, bob, "held", nil); called <- err }()
	<-started
	if err := am.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-called; !errors.Is(err, rpc.ErrClosed) {
		t.Fatalf("the caller's Call: %v", err)
	}
	close(release)
	if err := <-answered; err == nil {
		t.Fatal("the reply to a closed node was sent")
	}
	if st := b.Stats(); st.SendFailures != 1 || st.HandlersInFlight != 0 {
		t.Fatalf("server stats %+v", st)
	}
}

// Tells beyond the handler limit wait for a slot (pushing back on the
// sender's lane) instead of being dropped: a flood of tells is served
// whole.
func TestTellsPushBack(t *testing.T) {
	ctx := guard(t)
	a, b, _, _ := pair(t, rpc.Config{}, rpc.Config{MaxHandlersPerPeer: 2})
	const n = 200
	var got atomic.Int32
	all := make(chan struct{})
	b.HandleFunc("note", func(context.Context, *rpc.Request) ([]byte, error) {
		if got.Add(1) == n {
			close(all)
		}
		return nil, nil
	})
	for range n {
		if err := a.Tell(ctx, bob, "note", nil); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-ctx.Done():
		t.Fatalf("%d of %d tells served; stats %+v", got.Load(), n, b.Stats())
	}
	if st := b.Stats(); st.TellsRefused != 0 {
		t.Fatalf("stats %+v", st)
	}
}
