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
	// Data is the payload. The receiver owns it.
	Data []byte
	// Wire is the kind of wire that carried it.
	Wire WireKind
}

// Inbound takes the messages wires read. Deliver blocks until the message is
// queued, honouring ctx, which pushes back on the sending peer through the
// wire's own flow control. For lossy payload types (STREAM_LATENCY_FIRST) a
// full queue drops the message instead and Deliver returns ErrInboundFull.
type Inbound interface {
	Deliver(ctx context.Context, msg Message) error
}

// Handler processes inbound messages. Each payload type has its own queue
// and its own goroutine, so ServeMessage is called sequentially, in arrival
// order, per payload type, and concurrently across payload types. ctx ends
// when the manager closes.
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
	Dropped   uint64 // lossy queue full
	Rejected  uint64 // unknown payload type, no handler, or after close
}

// inbox is the manager's Inbound: one bounded queue and one worker per
// payload type (DESIGN F16: no head-of-line blocking across types).
type inbox struct {
	handler Handler
	log     *slog.Logger
	queues  [protocol.PayloadTypeCount]chan Message
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	delivered, dropped, rejected atomic.Uint64
}

func newInbox(h Handler, depth int, log *slog.Logger) *inbox {
	in := &inbox{handler: h, log: log}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	if h == nil {
		return in
	}
	for _, pt := range protocol.DataPayloadTypes() {
		q := make(chan Message, depth)
		in.queues[pt] = q
		in.wg.Add(1)
		go in.drain(q)
	}
	return in
}

func (in *inbox) drain(q chan Message) {
	defer in.wg.Done()
	for {
		select {
		case <-in.ctx.Done():
			return
		case m := <-q:
			in.handler.ServeMessage(in.ctx, m)
			in.delivered.Add(1)
		}
	}
}

// Deliver implements Inbound.
func (in *inbox) Deliver(ctx context.Context, m Message) error {
	if !validPayloadType(m.Type) || in.queues[m.Type] == nil {
		in.rejected.Add(1)
		if in.handler == nil {
			in.log.Debug("inbound message rejected: no handler", "from", m.From, "type", m.Type)
			return ErrNoHandler
		}
		in.log.Warn("inbound message rejected: no data lane for its payload type", "from", m.From, "type", m.Type)
		return fmt.Errorf("%w: inbound %s message", ErrNoRoute, m.Type)
	}
	if in.ctx.Err() != nil {
		in.rejected.Add(1)
		return ErrClosed
	}
	q := in.queues[m.Type]
	if m.Type == protocol.StreamLatencyFirst {
		select {
		case q <- m:
			return nil
		default:
			in.dropped.Add(1)
			return ErrInboundFull
		}
	}
	select {
	case q <- m:
		return nil
	case <-in.ctx.Done():
		in.rejected.Add(1)
		return ErrClosed
	case <-ctx.Done():
		return ctxError(ctx, "inbound delivery")
	}
}

func (in *inbox) stats() InboundStats {
	return InboundStats{Delivered: in.delivered.Load(), Dropped: in.dropped.Load(), Rejected: in.rejected.Load()}
}

// close stops the workers and waits for them; queued messages are discarded
// and counted as rejected.
func (in *inbox) close() {
	in.cancel()
	in.wg.Wait()
	for _, q := range in.queues {
		if q == nil {
			continue
		}
		for {
			select {
			case <-q:
				in.rejected.Add(1)
				continue
			default:
			}
			break
		}
	}
}
