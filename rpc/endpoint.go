package rpc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Endpoint is one actor's RPC side: it makes calls (Call, Tell), serves
// the routes registered with Handle, and sends and receives stream chunks.
// It is the transport.Handler of the node it runs on (node.Config.Handler)
// and sends through that node once bound (Bind). Its methods are safe for
// concurrent use.
type Endpoint struct {
	cfg Config
	log *slog.Logger
	m   *Metrics

	ctx    context.Context // ends at Close: handlers' ctxs and calls' waits
	cancel context.CancelFunc
	wg     sync.WaitGroup // handler goroutines and unanswered jobs

	bindOnce sync.Once
	bound    chan struct{} // closed once sender is set
	sender   Sender

	idPrefix string
	seq      atomic.Uint64

	rmu     sync.RWMutex
	routes  routeTable
	streamH StreamHandler

	mu          sync.Mutex
	closed      bool
	calls       map[string]*pendingCall
	callsPer    map[protocol.ActorID]int
	handlersPer map[protocol.ActorID]int
	handlers    int
	freed       chan struct{} // closed when a handler slot is released; nil unless a tell waits

	streams streamTable
	pool    workers

	st counters
}

// New returns an Endpoint; give it to the node as its Handler, then Bind
// it to the node (or use StartNode, which does both).
func New(cfg Config) *Endpoint {
	cfg = cfg.withDefaults()
	var p [8]byte
	_, _ = rand.Read(p[:])
	e := &Endpoint{cfg: cfg, log: cfg.Logger, m: cfg.Metrics, bound: make(chan struct{}),
		idPrefix: hex.EncodeToString(p[:]) + "-", routes: routeTable{},
		calls: map[string]*pendingCall{}, callsPer: map[protocol.ActorID]int{}, handlersPer: map[protocol.ActorID]int{}}
	e.streams.init(cfg.MaxStreamsPerPeer)
	e.pool.maxIdle = idleWorkers
	e.ctx, e.cancel = context.WithCancel(context.Background())
	return e
}

// Bind sets the Sender calls and replies go through: the node whose
// Handler the endpoint is. Only the first Bind counts. Replies to requests
// that arrive before it wait for it (within their deadline).
func (e *Endpoint) Bind(s Sender) {
	e.bindOnce.Do(func() {
		e.sender = s
		close(e.bound)
	})
}

func (e *Endpoint) boundSender() (Sender, error) {
	select {
	case <-e.ctx.Done():
		return nil, ErrClosed
	default:
	}
	select {
	case <-e.bound:
		return e.sender, nil
	default:
		return nil, ErrNotBound
	}
}

// waitSender waits for Bind, until ctx ends.
func (e *Endpoint) waitSender(ctx context.Context) (Sender, error) {
	select {
	case <-e.bound:
		return e.sender, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("rpc: no sender bound: %w", ctx.Err())
	}
}

// Handle registers h for a route key ("package.Service.Method" for
// generated services), replacing any handler it had.
func (e *Endpoint) Handle(route string, h Handler) {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	e.routes[route] = h
}

// HandleFunc registers f for a route key.
func (e *Endpoint) HandleFunc(route string, f func(ctx context.Context, req *Request) ([]byte, error)) {
	e.Handle(route, HandlerFunc(f))
}

func (e *Endpoint) handler(route string) Handler {
	e.rmu.RLock()
	defer e.rmu.RUnlock()
	return e.routes[route]
}

func (e *Endpoint) newRequestID() string {
	return e.idPrefix + strconv.FormatUint(e.seq.Add(1), 36)
}

// ServeMessage implements transport.Handler. It never blocks on a
// handler: requests run on goroutines of their own. Only the immediate
// refusals (unknown route, overload, bad request) are sent from it,
// bounded by Config.ReplyTimeout, and a tell waits for a handler slot
// (Config.TellWait). What it keeps of msg.Data it copies (decoding
// copies), so it may serve a manager that lends payloads; Fallback and
// the stream handler are called before it returns.
func (e *Endpoint) ServeMessage(ctx context.Context, msg transport.Message) {
	switch msg.Type {
	case protocol.RPCReliable, protocol.RPCSignal:
		e.serveEnvelope(ctx, msg)
	case protocol.StreamReliable, protocol.StreamLatencyFirst:
		e.serveChunk(ctx, msg)
	default:
		e.drop(ctx, msg, dropNotRPC)
	}
}

func (e *Endpoint) serveEnvelope(ctx context.Context, msg transport.Message) {
	env := new(protocol.RpcEnvelope)
	if err := proto.Unmarshal(msg.Data, env); err != nil {
		e.drop(ctx, msg, dropUndecodable)
		return
	}
	if env.Direction == nil {
		// Missing or unknown (proto2 keeps an unknown enum value among
		// the unknown fields): actr's rule is to drop it.
		e.drop(ctx, msg, dropNoDirection)
		return
	}
	switch env.GetDirection() {
	case protocol.RpcEnvelope_DIRECTION_RESPONSE:
		e.deliverResponse(msg, env)
	case protocol.RpcEnvelope_DIRECTION_REQUEST:
		e.serveRequest(ctx, msg, env, false)
	case protocol.RpcEnvelope_DIRECTION_TELL:
		e.serveRequest(ctx, msg, env, true)
	default:
		e.drop(ctx, msg, dropNoDirection)
	}
}

// drop counts a message that is not this package's and hands it to the
// fallback handler, if any.
func (e *Endpoint) drop(ctx context.Context, msg transport.Message, why dropReason) {
	e.st.dropped[why].Add(1)
	e.m.dropped(why)
	e.log.Debug("rpc: message dropped", "from", msg.From, "type", msg.Type, "reason", why.String(), "bytes", len(msg.Data))
	if e.cfg.Fallback != nil && why.fallsBack() {
		e.cfg.Fallback.ServeMessage(ctx, msg)
	}
}

// Close stops the endpoint: calls waiting return ErrClosed, handlers'
// ctxs end, requests arriving from then on are dropped. It waits for every
// handler goroutine and unanswered request, and is idempotent. Close the
// node too (either order): the endpoint does not own it.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.pool.close()
	return nil
}

// idleWorkers is how many handler goroutines wait for the next request.
const idleWorkers = 16
