package websocket

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// newTestGuard returns a guard whose abort counts its calls.
func newTestGuard() (*stallGuard, *atomic.Int32) {
	var aborts atomic.Int32
	g := &stallGuard{abort: func() { aborts.Add(1) }}
	return g, &aborts
}

func TestStallGuardReusesRegistrationForSameCtx(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, aborts := newTestGuard()
	defer g.release()
	if !g.begin(ctx) || !g.end() {
		t.Fatal("first guarded write refused or reported aborted")
	}
	gen := g.gen
	allocs := testing.AllocsPerRun(1000, func() {
		if !g.begin(ctx) || !g.end() {
			t.Fatal("guarded write refused or reported aborted")
		}
	})
	if allocs != 0 {
		t.Errorf("a write under the ctx already registered allocates %.1f times, want 0", allocs)
	}
	if g.gen != gen {
		t.Errorf("the same ctx was registered again (generation %d -> %d)", gen, g.gen)
	}
	if n := aborts.Load(); n != 0 {
		t.Fatalf("aborted %d times without a ctx ending", n)
	}
}

func TestStallGuardCtxEndingBetweenWritesAbortsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		g, aborts := newTestGuard()
		defer g.release()
		if !g.begin(ctx) || !g.end() {
			t.Fatal("guarded write refused or reported aborted")
		}
		cancel()
		synctest.Wait() // the registration's callback has run
		if n := aborts.Load(); n != 0 {
			t.Fatalf("a ctx that ended while no frame was being written aborted the connection %d times", n)
		}
		if g.begin(ctx) {
			t.Fatal("a write under an ended ctx was let through")
		}
	})
}

func TestStallGuardCtxEndingMidWriteAbortsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		g, aborts := newTestGuard()
		defer g.release()
		if !g.begin(ctx) {
			t.Fatal("guarded write refused")
		}
		cancel()
		synctest.Wait()
		if g.end() {
			t.Fatal("end reported the frame written in time after its ctx ended mid-write")
		}
		if n := aborts.Load(); n != 1 {
			t.Fatalf("aborted %d times, want 1", n)
		}
	})
}

func TestStallGuardEarlierCtxCannotAbortLaterWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first, cancelFirst := context.WithCancel(context.Background())
		second, cancelSecond := context.WithCancel(context.Background())
		defer cancelSecond()
		g, aborts := newTestGuard()
		defer g.release()
		if !g.begin(first) || !g.end() {
			t.Fatal("first write refused or reported aborted")
		}
		if !g.begin(second) {
			t.Fatal("second write refused")
		}
		cancelFirst()
		synctest.Wait()
		if !g.end() {
			t.Fatal("the first write's ctx aborted the second write")
		}
		if n := aborts.Load(); n != 0 {
			t.Fatalf("aborted %d times, want 0", n)
		}
	})
}

func TestStallGuardReleasedAbortsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		g, aborts := newTestGuard()
		if !g.begin(ctx) || !g.end() {
			t.Fatal("guarded write refused or reported aborted")
		}
		g.release()
		other, cancelOther := context.WithCancel(context.Background())
		if !g.begin(other) {
			t.Fatal("a write after release was refused; it should fail on the closed socket instead")
		}
		cancel()
		cancelOther()
		synctest.Wait()
		if !g.end() {
			t.Fatal("a released guard reported an abort")
		}
		if n := aborts.Load(); n != 0 {
			t.Fatalf("a released guard aborted %d times", n)
		}
	})
}

// uncomparableCtx is a context of a type that == cannot compare (it
// holds a slice): the guard must not compare ctxs themselves.
type uncomparableCtx struct {
	context.Context
	tags []string
}

// Sends whose ctxs end together (values added to one cancellable ctx, or
// a ctx of an uncomparable type wrapping it) share one registration.
func TestStallGuardReusesRegistrationForCtxsSharingDone(t *testing.T) {
	root, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, aborts := newTestGuard()
	defer g.release()
	type key struct{}
	ctxs := []context.Context{
		root,
		context.WithValue(root, key{}, 1),
		uncomparableCtx{Context: root, tags: []string{"a"}},
		uncomparableCtx{Context: root, tags: []string{"b"}},
	}
	for i, ctx := range ctxs {
		if !g.begin(ctx) || !g.end() {
			t.Fatalf("write %d refused or reported aborted", i)
		}
		if g.gen != 1 {
			t.Fatalf("write %d made registration %d: a ctx ending with the first was registered again", i, g.gen)
		}
	}
	if n := aborts.Load(); n != 0 {
		t.Fatalf("aborted %d times", n)
	}
}
