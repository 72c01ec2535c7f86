package transport

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/actr-go/actr/protocol"
)

// Message is one inbound message.
type Message struct {
	// From is the actor that sent it, as authenticated by the wire.
	From protocol.ActorID
	// Type is the payload type (the lane it arrived on).
	Type protocol.PayloadType
	// Data is the payload. The handler owns it, unless the manager lends
	// payloads ([WithLentPayloads]): then Data is valid only until
	// ServeMessage returns, and a handler that keeps it, or hands it to
	// another goroutine, must copy it.
	Data []byte
	// Wire is the kind of wire that carried it.
	Wire WireKind
	// Recycle, when set by the wire, takes Data's buffer back once the
	// handler is done with it. The inbound queue calls it after
	// ServeMessage returns, or when it drops the message; a wire sets it
	// only when the Inbound lends payloads ([PayloadLender]).
	Recycle func([]byte)
}

// PayloadLender is implemented by an Inbound; LendsPayloads reports
// whether its handler gives payloads back when ServeMessage returns
// ([WithLentPayloads]), so that a wire may read them into buffers it
// reuses (and set Message.Recycle).
type PayloadLender interface {
	LendsPayloads() bool
}

// LendsPayloads reports whether in lends payloads (see [PayloadLender]).
func LendsPayloads(in Inbound) bool {
	l, ok := in.(PayloadLender)
	return ok && l.LendsPayloads()
}

// recycle gives m's buffer back, if it has a Recycle.
func (m *Message) recycle() {
	if m.Recycle != nil {
		m.Recycle(m.Data)
	}
}

// Inbound takes the messages wires read. Deliver blocks until the message is
// queued, honouring ctx, which pushes back on the sending peer through the
// wire's own flow control. For lossy payload types (STREAM_LATENCY_FIRST) a
// full queue drops the message instead and Deliver returns ErrInboundFull.
type Inbound interface {
	Deliver(ctx context.Context, msg Message) error
}

// Handler processes inbound messages. Every peer has its own queue per
// payload type, and ServeMessage is called sequentially, in arrival order,
// for each peer and payload type; calls for different peers or payload
// types run concurrently, on at most [InboundLimits].Workers goroutines,
// taking turns so that a peer that floods gets no more turns than one that
// sends a message now and then. A call that blocks (a reply to a peer that
// stopped reading) holds up only its own peer's queue of that type. A
// message that can be served at once may be served on the reader of the
// wire that read it, without a hand-off (InlineDeliverer); a call that
// runs there past InlineBudget holds up that wire's reading for no longer,
// as another reader then takes over. ctx ends when the manager closes.
type Handler interface {
	ServeMessage(ctx context.Context, msg Message)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, msg Message)

// ServeMessage calls f(ctx, msg).
func (f HandlerFunc) ServeMessage(ctx context.Context, msg Message) { f(ctx, msg) }

// InboundStats counts what the inbound queues did.
type InboundStats struct {
	Delivered uint64 // handed to the handler
	Dropped   uint64 // lossy queue full, or over a byte budget
	Rejected  uint64 // unknown payload type, no handler, or after close
	// Throttled counts the deliveries that had to wait for room: their
	// peer's queue or byte budget, or the manager's, was full. Waiting
	// pushes back on that peer's wire only.
	Throttled uint64
	// BytesHeld is the payload bytes queued now, waiting for the handler.
	BytesHeld int64
	// Peers is the number of peers with messages queued or being handled.
	Peers int
	// Workers is the number of handler goroutines started (they stay until
	// the manager closes).
	Workers int
	// Inlined counts the messages handled on the reader of the wire that
	// read them, without a hand-off (InlineDeliverer); they are counted in
	// Delivered too.
	Inlined uint64
}

// inbox is the manager's Inbound: one bounded queue per peer and payload
// type (DESIGN F16 across types, §9 across peers), served by a bounded pool
// of workers in turn.
//
// A queue with messages is scheduled at most once: it is either in the run
// queue or held by a worker, which takes one message, serves it, and puts
// the queue back at the tail if it has more and others are waiting. That
// keeps arrival order per peer and type and makes turns round-robin.
type inbox struct {
	handler Handler
	lend    bool // WithLentPayloads
	log     *slog.Logger
	lim     InboundLimits
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	peers   map[protocol.ActorID]*peerInbox
	runq    laneRing
	idle    []*inboxWorker // parked workers, each waiting on its wake channel
	workers int
	inline  int           // handlers running on a wire's reader (inline.go)
	bytes   int64         // payload bytes queued, all peers
	space   chan struct{} // closed when bytes are released; nil unless a Deliver waits on the total budget

	delivered, dropped, rejected, throttled, inlined atomic.Uint64
}

// peerInbox is one peer's queues. It exists while the peer has a message
// queued or being handled, so the table is bounded by the messages held.
type peerInbox struct {
	id     protocol.ActorID
	lanes  [protocol.PayloadTypeCount]laneQueue
	bytes  int64 // payload bytes queued for this peer
	active int   // lanes scheduled (queued for a worker or being served)
}

// laneQueue is one peer's messages of one payload type, oldest first.
type laneQueue struct {
	peer      *peerInbox
	msgs      []Message
	head      int
	scheduled bool
	space     chan struct{} // closed when a message leaves; nil unless a Deliver waits
}

func (l *laneQueue) len() int { return len(l.msgs) - l.head }

func (l *laneQueue) push(m Message) {
	if l.head > 0 && len(l.msgs) == cap(l.msgs) {
		// Reuse the consumed front rather than growing.
		n := copy(l.msgs, l.msgs[l.head:])
		clear(l.msgs[n:])
		l.msgs, l.head = l.msgs[:n], 0
	}
	l.msgs = append(l.msgs, m)
}

func (l *laneQueue) pop() Message {
	m := l.msgs[l.head]
	l.msgs[l.head] = Message{}
	if l.head++; l.head == len(l.msgs) {
		l.msgs, l.head = l.msgs[:0], 0
	}
	if l.space != nil {
		close(l.space)
		l.space = nil
	}
	return m
}

// inboxWorker is a parked handler goroutine; wake hands it a scheduled lane.
type inboxWorker struct {
	wake chan *laneQueue // buffered 1: a handoff never blocks
}

func newInbox(h Handler, lim InboundLimits, lend bool, log *slog.Logger) *inbox {
	in := &inbox{handler: h, lend: lend, log: log, lim: lim.withDefaults(), peers: make(map[protocol.ActorID]*peerInbox)}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	return in
}

// LendsPayloads implements PayloadLender.
func (in *inbox) LendsPayloads() bool { return in.lend }

// Deliver implements Inbound. A message it does not queue is the
// caller's still (its Recycle is not called).
func (in *inbox) Deliver(ctx context.Context, m Message) error {
	if !validPayloadType(m.Type) || !m.Type.IsData() || in.handler == nil {
		in.rejected.Add(1)
		if in.handler == nil {
			in.log.Debug("inbound message rejected: no handler", "from", m.From, "type", m.Type)
			return ErrNoHandler
		}
		in.log.Warn("inbound message rejected: no data lane for its payload type", "from", m.From, "type", m.Type)
		return fmt.Errorf("%w: inbound %s message", ErrNoRoute, m.Type)
	}
	n := int64(len(m.Data))
	waited := false
	for {
		in.mu.Lock()
		if in.closed {
			in.mu.Unlock()
			in.rejected.Add(1)
			return ErrClosed
		}
		p := in.peerLocked(m.From)
		l := &p.lanes[m.Type]
		wait := in.roomLocked(p, l, n)
		if wait == nil {
			in.enqueueLocked(p, l, m, n)
			in.mu.Unlock()
			return nil
		}
		if m.Type == protocol.StreamLatencyFirst {
			in.forgetIfIdleLocked(p)
			in.mu.Unlock()
			in.dropped.Add(1)
			return ErrInboundFull
		}
		in.mu.Unlock()
		if !waited {
			waited = true
			in.throttled.Add(1)
		}
		select {
		case <-wait:
		case <-in.ctx.Done():
			in.rejected.Add(1)
			return ErrClosed
		case <-ctx.Done():
			in.mu.Lock()
			in.forgetIfIdleLocked(p)
			in.mu.Unlock()
			return ctxError(ctx, "inbound delivery")
		}
	}
}

// roomLocked returns nil if l can take n more bytes now, or else a channel
// that is closed when room may have been made. A queue that is empty of
// bytes takes one message whatever its size, so a message larger than a
// budget still gets through, one at a time.
func (in *inbox) roomLocked(p *peerInbox, l *laneQueue, n int64) <-chan struct{} {
	if l.len() >= in.lim.QueueDepth || (p.bytes > 0 && p.bytes+n > in.lim.PeerBytes) {
		if l.len() == 0 {
			// Over the peer's bytes with nothing queued on this lane:
			// the bytes are on the peer's other lanes.
			return in.peerSpaceLocked(p)
		}
		if l.space == nil {
			l.space = make(chan struct{})
		}
		return l.space
	}
	if in.bytes > 0 && in.bytes+n > in.lim.TotalBytes {
		if in.space == nil {
			in.space = make(chan struct{})
		}
		return in.space
	}
	return nil
}

// peerSpaceLocked returns the space channel of one of p's non-empty lanes.
func (in *inbox) peerSpaceLocked(p *peerInbox) <-chan struct{} {
	for i := range p.lanes {
		if l := &p.lanes[i]; l.len() > 0 {
			if l.space == nil {
				l.space = make(chan struct{})
			}
			return l.space
		}
	}
	// Bytes counted but nothing queued cannot happen; do not spin.
	return in.ctx.Done()
}

func (in *inbox) peerLocked(id protocol.ActorID) *peerInbox {
	p := in.peers[id]
	if p == nil {
		p = &peerInbox{id: id}
		for i := range p.lanes {
			p.lanes[i].peer = p
		}
		in.peers[id] = p
	}
	return p
}

// forgetIfIdleLocked drops p from the table when nothing of it is left.
func (in *inbox) forgetIfIdleLocked(p *peerInbox) {
	if p.active == 0 && p.bytes == 0 && in.peers[p.id] == p {
		for i := range p.lanes {
			if p.lanes[i].len() > 0 {
				return
			}
		}
		delete(in.peers, p.id)
	}
}

func (in *inbox) enqueueLocked(p *peerInbox, l *laneQueue, m Message, n int64) {
	l.push(m)
	p.bytes += n
	in.bytes += n
	if l.scheduled {
		return
	}
	l.scheduled = true
	p.active++
	in.scheduleLocked(l)
}

// scheduleLocked hands the scheduled lane l to a worker: an idle one, a
// new one if there is room, or the run queue.
func (in *inbox) scheduleLocked(l *laneQueue) {
	switch {
	case len(in.idle) > 0:
		w := in.idle[len(in.idle)-1]
		in.idle[len(in.idle)-1] = nil
		in.idle = in.idle[:len(in.idle)-1]
		w.wake <- l
	case in.workers < in.lim.Workers:
		in.workers++
		in.wg.Add(1)
		go in.work(l)
	default:
		in.runq.push(l)
	}
}

// takeLocked removes the oldest message of l and releases its bytes.
func (in *inbox) takeLocked(l *laneQueue) Message {
	m := l.pop()
	n := int64(len(m.Data))
	l.peer.bytes -= n
	in.bytes -= n
	if in.space != nil {
		close(in.space)
		in.space = nil
	}
	return m
}

// work serves lanes until the inbox closes, starting with l.
func (in *inbox) work(l *laneQueue) {
	defer in.wg.Done()
	w := &inboxWorker{wake: make(chan *laneQueue, 1)}
	for {
		in.mu.Lock()
		if in.closed {
			in.mu.Unlock()
			return
		}
		m := in.takeLocked(l)
		in.mu.Unlock()

		in.handler.ServeMessage(in.ctx, m)
		m.recycle()
		in.delivered.Add(1)

		in.mu.Lock()
		if l.len() > 0 && in.runq.len() > 0 {
			// Others are waiting for a turn: go to the back.
			in.runq.push(l)
			l = nil
		} else if l.len() == 0 {
			l.scheduled = false
			p := l.peer
			p.active--
			in.forgetIfIdleLocked(p)
			l = nil
		}
		if l == nil {
			l = in.runq.pop()
		}
		if l == nil {
			in.idle = append(in.idle, w)
			in.mu.Unlock()
			select {
			case l = <-w.wake:
			case <-in.ctx.Done():
				return
			}
			continue
		}
		in.mu.Unlock()
	}
}

func (in *inbox) stats() InboundStats {
	in.mu.Lock()
	bytes, peers, workers := in.bytes, len(in.peers), in.workers
	in.mu.Unlock()
	return InboundStats{Delivered: in.delivered.Load(), Dropped: in.dropped.Load(), Rejected: in.rejected.Load(),
		Throttled: in.throttled.Load(), BytesHeld: bytes, Peers: peers, Workers: workers, Inlined: in.inlined.Load()}
}

// close stops the workers and waits for them; queued messages are discarded
// and counted as rejected.
func (in *inbox) close() {
	in.mu.Lock()
	in.closed = true
	in.mu.Unlock()
	in.cancel()
	in.wg.Wait()
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, p := range in.peers {
		for i := range p.lanes {
			for l := &p.lanes[i]; l.len() > 0; {
				m := in.takeLocked(l)
				m.recycle()
				in.rejected.Add(1)
			}
		}
	}
	clear(in.peers)
	in.runq = laneRing{}
	in.idle = nil
}

// laneRing is a FIFO of scheduled lanes waiting for a worker.
type laneRing struct {
	q    []*laneQueue
	head int
}

func (r *laneRing) len() int { return len(r.q) - r.head }

func (r *laneRing) push(l *laneQueue) {
	if r.head > 0 && len(r.q) == cap(r.q) {
		n := copy(r.q, r.q[r.head:])
		clear(r.q[n:])
		r.q, r.head = r.q[:n], 0
	}
	r.q = append(r.q, l)
}

func (r *laneRing) pop() *laneQueue {
	if r.len() == 0 {
		return nil
	}
	l := r.q[r.head]
	r.q[r.head] = nil
	if r.head++; r.head == len(r.q) {
		r.q, r.head = r.q[:0], 0
	}
	return l
}
