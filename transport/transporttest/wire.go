package transporttest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Wire is an in-memory transport.Wire. Its far end, made when it connects,
// is adopted by the remote node's acceptor (or records into the node).
type Wire struct {
	kind    transport.WireKind
	id      transport.WireID
	local   protocol.ActorID
	remote  protocol.ActorID
	in      transport.Inbound // where the peer's messages land on this side
	builder *Builder          // nil for far ends
	maxSize int

	ready    atomic.Bool
	stalled  atomic.Bool
	closed   atomic.Bool
	connects atomic.Int32
	done     chan struct{}
	lanes    [protocol.PayloadTypeCount]*lane

	mu      sync.Mutex
	peer    *Wire
	readyCh chan struct{} // closed at the next change of Ready, if anyone asked
}

func newWire(kind transport.WireKind, local, remote protocol.ActorID, in transport.Inbound, maxSize int) *Wire {
	w := &Wire{kind: kind, id: transport.NewWireID(), local: local, remote: remote, in: in, maxSize: maxSize, done: make(chan struct{})}
	for _, pt := range protocol.DataPayloadTypes() {
		w.lanes[pt] = &lane{w: w, pt: pt}
	}
	return w
}

// Kind implements transport.Wire.
func (w *Wire) Kind() transport.WireKind { return w.kind }

// ID implements transport.Wire.
func (w *Wire) ID() transport.WireID { return w.id }

// Remote returns the actor at the far end.
func (w *Wire) Remote() protocol.ActorID { return w.remote }

// Connect implements transport.Wire, applying the builder's connect faults.
func (w *Wire) Connect(ctx context.Context) error {
	w.connects.Add(1)
	if w.closed.Load() {
		return fmt.Errorf("%w: in-memory wire %d", transport.ErrWireClosed, w.id)
	}
	if w.builder == nil { // a far end: connected from birth
		return nil
	}
	if err := w.builder.connectFault(ctx, w); err != nil {
		return err
	}
	if w.closed.Load() {
		return fmt.Errorf("%w: in-memory wire %d closed while connecting", transport.ErrWireClosed, w.id)
	}
	node := w.builder.net.Node(w.remote)
	acc := node.serving()
	var in transport.Inbound = node.rec
	if acc != nil {
		in = acc.Inbound()
	}
	far := newWire(w.kind, w.remote, w.local, in, w.maxSize)
	far.peer = w
	far.ready.Store(true)
	w.mu.Lock()
	w.peer = far
	w.mu.Unlock()
	if acc != nil {
		if err := acc.Adopt(ctx, transport.Actor(w.local), far); err != nil {
			w.mu.Lock()
			w.peer = nil
			w.mu.Unlock()
			return fmt.Errorf("transporttest: peer %s refused the wire: %w", w.remote, err)
		}
	}
	w.ready.Store(true)
	return nil
}

// Ready implements transport.Wire.
func (w *Wire) Ready() bool { return w.ready.Load() && !w.stalled.Load() && !w.closed.Load() }

// Lane implements transport.Wire.
func (w *Wire) Lane(pt protocol.PayloadType) (transport.Lane, error) {
	if pt < 0 || int(pt) >= len(w.lanes) || w.lanes[pt] == nil {
		return nil, fmt.Errorf("%w: in-memory wire has no %s lane", transport.ErrNoRoute, pt)
	}
	return w.lanes[pt], nil
}

// Done implements transport.Wire.
func (w *Wire) Done() <-chan struct{} { return w.done }

// Close implements transport.Wire. It closes the far end too, as a broken
// connection would.
func (w *Wire) Close() error {
	// CompareAndSwap rather than sync.Once: closing the far end closes this
	// end again, and a re-entrant Once.Do would deadlock.
	if !w.closed.CompareAndSwap(false, true) {
		return nil
	}
	w.ready.Store(false)
	close(w.done)
	w.mu.Lock()
	peer := w.peer
	w.mu.Unlock()
	if peer != nil {
		_ = peer.Close()
	}
	return nil
}

// Closed reports whether the wire has been closed.
func (w *Wire) Closed() bool { return w.closed.Load() }

// ConnectCalls reports how many times Connect was called.
func (w *Wire) ConnectCalls() int { return int(w.connects.Load()) }

// Stall makes the wire report not Ready, and its lanes closed, without
// dying: a peer stuck half-dead, or a WebRTC wire in an ICE restart.
// Unstall undoes it.
func (w *Wire) Stall() {
	if !w.stalled.Swap(true) {
		w.readyChangedNow()
	}
}

// Unstall undoes Stall.
func (w *Wire) Unstall() {
	if w.stalled.Swap(false) {
		w.readyChangedNow()
	}
}

// readyChanged returns a channel closed at the next change of Ready.
func (w *Wire) readyChanged() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.readyCh == nil {
		w.readyCh = make(chan struct{})
	}
	return w.readyCh
}

func (w *Wire) readyChangedNow() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.readyCh != nil {
		close(w.readyCh)
		w.readyCh = nil
	}
}

// notifyingWire is a Wire that tells the pool when Ready changes
// (transport.ReadyNotifier), as a WebRTC wire does.
type notifyingWire struct{ *Wire }

// ReadyChanged implements transport.ReadyNotifier.
func (w notifyingWire) ReadyChanged() <-chan struct{} { return w.readyChanged() }

type lane struct {
	w  *Wire
	pt protocol.PayloadType
}

// Send delivers a copy of data to the far end's inbound, synchronously, so
// the far end's queues push back on the sender.
func (l *lane) Send(ctx context.Context, data []byte) error {
	w := l.w
	if !w.Ready() {
		return fmt.Errorf("%w: in-memory wire %d is not ready", transport.ErrLaneClosed, w.id)
	}
	if w.maxSize > 0 && len(data) > w.maxSize {
		return &transport.MessageTooLargeError{Size: len(data), Max: w.maxSize}
	}
	w.mu.Lock()
	peer := w.peer
	w.mu.Unlock()
	if peer == nil {
		return fmt.Errorf("%w: in-memory wire %d has no far end", transport.ErrLaneClosed, w.id)
	}
	msg := transport.Message{From: w.local, Type: l.pt, Data: append([]byte(nil), data...), Wire: w.kind}
	if err := peer.in.Deliver(ctx, msg); err != nil {
		return fmt.Errorf("transporttest: delivery to %s: %w", w.remote, err)
	}
	return nil
}
