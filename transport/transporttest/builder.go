package transporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// ErrInjected is the error of injected faults when the test gives none.
var ErrInjected = errors.New("transporttest: injected fault")

// Builder is a transport.WireBuilder that makes in-memory wires from one
// node, with fault hooks. Its methods are safe for concurrent use.
type Builder struct {
	net   *Network
	local protocol.ActorID
	kinds []transport.WireKind

	mu             sync.Mutex
	changed        chan struct{} // closed and replaced on every build event
	builds         int
	buildsPer      map[transport.Dest]int
	cancelled      int // builds that saw their ctx end
	failBuilds     int
	failBuildErr   error
	hold           chan struct{} // non-nil: builds wait for it to close
	holdIgnoresCtx bool
	held           int
	failConnects   map[transport.WireKind]int
	failConnectErr error
	hangConnects   map[transport.WireKind]chan struct{}
	connectDelay   time.Duration
	maxSize        int
	notifying      map[transport.WireKind]bool
	wires          map[transport.Dest][]*Wire
}

// NewBuilder returns a builder dialling from local over net with one wire of
// each kind (default: WebRTC and WebSocket kinds).
func NewBuilder(net *Network, local protocol.ActorID, kinds ...transport.WireKind) *Builder {
	if len(kinds) == 0 {
		kinds = []transport.WireKind{transport.WireWebRTC, transport.WireWebSocket}
	}
	return &Builder{
		net: net, local: local, kinds: kinds,
		changed:      make(chan struct{}),
		buildsPer:    make(map[transport.Dest]int),
		failConnects: make(map[transport.WireKind]int),
		hangConnects: make(map[transport.WireKind]chan struct{}),
		notifying:    make(map[transport.WireKind]bool),
		wires:        make(map[transport.Dest][]*Wire),
	}
}

// Build implements transport.WireBuilder.
func (b *Builder) Build(ctx context.Context, req transport.BuildRequest) ([]transport.Wire, error) {
	remote, ok := req.Dest.ActorID()
	if !ok {
		return nil, fmt.Errorf("%w: %s", transport.ErrInvalidDest, req.Dest)
	}
	b.mu.Lock()
	b.builds++
	b.buildsPer[req.Dest]++
	hold, ignore := b.hold, b.holdIgnoresCtx
	if hold != nil {
		b.held++
	}
	b.signalLocked()
	b.mu.Unlock()

	if hold != nil {
		if ignore {
			<-hold
			if ctx.Err() != nil {
				b.mu.Lock()
				b.cancelled++
				b.signalLocked()
				b.mu.Unlock()
			}
		} else {
			select {
			case <-hold:
			case <-ctx.Done():
				b.mu.Lock()
				b.cancelled++
				b.signalLocked()
				b.mu.Unlock()
				return nil, ctx.Err()
			}
		}
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failBuilds > 0 {
		b.failBuilds--
		b.signalLocked()
		return nil, b.failBuildErr
	}
	var out []transport.Wire
	for _, k := range b.kinds {
		if !req.Wants(k) {
			continue
		}
		w := newWire(k, b.local, remote, req.Inbound, b.maxSize)
		w.builder = b
		b.wires[req.Dest] = append(b.wires[req.Dest], w)
		if b.notifying[k] {
			out = append(out, notifyingWire{w})
		} else {
			out = append(out, w)
		}
	}
	b.signalLocked()
	return out, nil
}

func (b *Builder) signalLocked() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// waitFor waits until cond (called with b.mu held) is true or ctx ends.
func (b *Builder) waitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		b.mu.Lock()
		if cond() {
			b.mu.Unlock()
			return nil
		}
		ch := b.changed
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("transporttest: waiting for %s: %w", what, ctx.Err())
		}
	}
}

// Builds reports how many times Build was called.
func (b *Builder) Builds() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.builds
}

// BuildsFor reports how many times Build was called for dest.
func (b *Builder) BuildsFor(dest transport.Dest) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buildsPer[dest]
}

// CancelledBuilds reports how many held builds saw their ctx end.
func (b *Builder) CancelledBuilds() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cancelled
}

// WaitBuilds waits until Build has been called at least n times.
func (b *Builder) WaitBuilds(ctx context.Context, n int) error {
	return b.waitFor(ctx, fmt.Sprintf("%d builds", n), func() bool { return b.builds >= n })
}

// WaitHeld waits until at least n builds are (or were) held.
func (b *Builder) WaitHeld(ctx context.Context, n int) error {
	return b.waitFor(ctx, fmt.Sprintf("%d held builds", n), func() bool { return b.held >= n })
}

// WaitCancelled waits until at least n held builds have seen their ctx end.
func (b *Builder) WaitCancelled(ctx context.Context, n int) error {
	return b.waitFor(ctx, fmt.Sprintf("%d cancelled builds", n), func() bool { return b.cancelled >= n })
}

// FailBuilds makes the next n builds fail with err (ErrInjected if nil).
func (b *Builder) FailBuilds(n int, err error) {
	if err == nil {
		err = ErrInjected
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failBuilds, b.failBuildErr = n, err
}

// HoldBuilds makes builds wait until release is called; a held build whose
// ctx ends returns the ctx error. release is idempotent.
func (b *Builder) HoldBuilds() (release func()) { return b.holdBuilds(false) }

// HoldBuildsIgnoringCancel is HoldBuilds for a builder that ignores its
// ctx: a held build returns wires only when released, even if cancelled.
func (b *Builder) HoldBuildsIgnoringCancel() (release func()) { return b.holdBuilds(true) }

func (b *Builder) holdBuilds(ignoreCtx bool) func() {
	ch := make(chan struct{})
	b.mu.Lock()
	b.hold, b.holdIgnoresCtx = ch, ignoreCtx
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			if b.hold == ch {
				b.hold = nil
			}
			b.mu.Unlock()
			close(ch)
		})
	}
}

// PassNewBuilds lets builds that start from now on through, while builds
// already held stay held until their release.
func (b *Builder) PassNewBuilds() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hold = nil
}

// FailConnects makes the next n connect attempts of wires of kind k fail
// with err (ErrInjected if nil).
func (b *Builder) FailConnects(k transport.WireKind, n int, err error) {
	if err == nil {
		err = ErrInjected
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failConnects[k] = n
	b.failConnectErr = err
}

// HangConnects makes connects of wires of kind k wait until release is
// called (or their ctx ends). release is idempotent.
func (b *Builder) HangConnects(k transport.WireKind) (release func()) {
	ch := make(chan struct{})
	b.mu.Lock()
	b.hangConnects[k] = ch
	b.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			if b.hangConnects[k] == ch {
				delete(b.hangConnects, k)
			}
			b.mu.Unlock()
			close(ch)
		})
	}
}

// SetConnectDelay delays every connect by d (honouring ctx).
func (b *Builder) SetConnectDelay(d time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.connectDelay = d
}

// NotifyReady makes wires of kind k built from now on implement
// transport.ReadyNotifier, as WebRTC wires do: Stall and Unstall then
// tell the pool, and the health checker leaves a stalled one alone.
func (b *Builder) NotifyReady(k transport.WireKind) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.notifying[k] = true
}

// SetMaxMessageSize makes lanes of wires built from now on refuse messages
// over n bytes with a *transport.MessageTooLargeError (0: no limit).
func (b *Builder) SetMaxMessageSize(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.maxSize = n
}

func (b *Builder) connectFault(ctx context.Context, w *Wire) error {
	b.mu.Lock()
	delay := b.connectDelay
	hang := b.hangConnects[w.kind]
	var fail error
	if b.failConnects[w.kind] > 0 {
		b.failConnects[w.kind]--
		fail = b.failConnectErr
	}
	b.mu.Unlock()
	if fail != nil {
		return fail
	}
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if hang != nil {
		select {
		case <-hang:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Wires returns every wire built for dest, oldest first.
func (b *Builder) Wires(dest transport.Dest) []*Wire {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*Wire(nil), b.wires[dest]...)
}

// WaitWires waits until at least n wires have been built for dest and
// returns them, oldest first.
func (b *Builder) WaitWires(ctx context.Context, dest transport.Dest, n int) ([]*Wire, error) {
	err := b.waitFor(ctx, fmt.Sprintf("%d wires to %s", n, dest), func() bool { return len(b.wires[dest]) >= n })
	return b.Wires(dest), err
}

// LiveWire returns the newest wire of kind k to dest that is not closed.
func (b *Builder) LiveWire(dest transport.Dest, k transport.WireKind) (*Wire, bool) {
	ws := b.Wires(dest)
	for i := len(ws) - 1; i >= 0; i-- {
		if ws[i].kind == k && !ws[i].Closed() {
			return ws[i], true
		}
	}
	return nil, false
}

// Drop closes, now, every live wire of kind k to dest (both ends), as a
// broken connection would. It reports how many it closed.
func (b *Builder) Drop(dest transport.Dest, k transport.WireKind) int {
	n := 0
	for _, w := range b.Wires(dest) {
		if w.kind == k && !w.Closed() {
			_ = w.Close()
			n++
		}
	}
	return n
}
