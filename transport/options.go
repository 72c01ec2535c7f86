package transport

import (
	"log/slog"
	"sync/atomic"
	"time"
)

// Option configures an OutprocManager.
type Option func(*config)

type config struct {
	backoff        Backoff
	routes         RouteTable
	connectTimeout time.Duration
	dialTimeout    time.Duration
	inbound        InboundLimits
	handler        Handler
	logger         *slog.Logger
	sendStats      bool
	lendPayloads   bool
	maxDests       int
	maxDials       int
	hooks          *testHooks
	closeGrace     time.Duration
	// unflushed counts the wires closed with data unsent (Stats.Unflushed).
	unflushed *atomic.Uint64
}

func defaultConfig() config {
	return config{
		backoff:        DefaultBackoff(),
		routes:         DefaultRoutes(),
		connectTimeout: 10 * time.Second,
		dialTimeout:    30 * time.Second,
		logger:         slog.New(slog.DiscardHandler),
		maxDests:       DefaultMaxDests,
		maxDials:       DefaultMaxPendingDials,
		closeGrace:     DefaultCloseGrace,
		unflushed:      new(atomic.Uint64),
	}
}

// WithBackoff sets the retry policy of wire connects (default DefaultBackoff()).
func WithBackoff(b Backoff) Option { return func(c *config) { c.backoff = b.withDefaults() } }

// WithRoutes sets the route table (default DefaultRoutes()).
func WithRoutes(r RouteTable) Option { return func(c *config) { c.routes = r } }

// WithConnectTimeout bounds each connect attempt of a wire (default 10 s).
func WithConnectTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.connectTimeout = d
		}
	}
}

// WithDialTimeout bounds a WireBuilder.Build call (default 30 s). It is the
// only thing besides CloseTransport and Close that cancels a dial.
func WithDialTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.dialTimeout = d
		}
	}
}

// WithHandler installs the handler of inbound messages. Without one,
// inbound messages are refused with ErrNoHandler (and counted).
func WithHandler(h Handler) Option { return func(c *config) { c.handler = h } }

// WithLentPayloads makes the handler's Message.Data a loan: valid only
// until ServeMessage returns, after which the wire reuses its buffer for
// another message. A handler that keeps a payload, or hands it to another
// goroutine, must copy it first. Receiving large messages then allocates
// nothing per message (a wire reads them into buffers it reuses); without
// this option every payload is the handler's to keep.
func WithLentPayloads() Option { return func(c *config) { c.lendPayloads = true } }

// WithInboundQueueDepth sets the capacity of each peer's inbound queue of
// each payload type (default 256 messages); it is shorthand for
// WithInboundLimits(InboundLimits{QueueDepth: n}) that keeps the other
// limits as they are.
func WithInboundQueueDepth(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.inbound.QueueDepth = n
		}
	}
}

// InboundLimits bound what the manager holds for inbound messages waiting
// for the Handler, and how many Handler calls run at once. A zero field
// keeps its default.
//
// A Deliver that would go over a limit waits for room (which pushes back
// on the sending peer's wire alone), except on the lossy payload type
// (STREAM_LATENCY_FIRST), where the message is dropped and counted. A peer
// or a manager holding no bytes takes one message whatever its size, so a
// message larger than a budget gets through, one at a time.
type InboundLimits struct {
	// QueueDepth bounds each peer's queue of each payload type, in
	// messages (default 256).
	QueueDepth int
	// PeerBytes bounds the payload bytes queued for one peer, all payload
	// types together (default DefaultInboundPeerBytes).
	PeerBytes int64
	// TotalBytes bounds the payload bytes queued for all peers together
	// (default DefaultInboundTotalBytes).
	TotalBytes int64
	// Workers bounds the Handler calls running at once (default
	// DefaultInboundWorkers). Workers start as traffic needs them and stay
	// until the manager closes. One peer occupies at most one worker per
	// payload type, so a peer whose handler calls block cannot take the
	// others' turns unless it is one of that many such peers.
	Workers int
}

// Default inbound limits.
const (
	DefaultInboundQueueDepth = 256
	DefaultInboundPeerBytes  = 4 << 20
	DefaultInboundTotalBytes = 256 << 20
	DefaultInboundWorkers    = 256
)

func (l InboundLimits) withDefaults() InboundLimits {
	if l.QueueDepth <= 0 {
		l.QueueDepth = DefaultInboundQueueDepth
	}
	if l.PeerBytes <= 0 {
		l.PeerBytes = DefaultInboundPeerBytes
	}
	if l.TotalBytes <= 0 {
		l.TotalBytes = DefaultInboundTotalBytes
	}
	if l.Workers <= 0 {
		l.Workers = DefaultInboundWorkers
	}
	return l
}

// WithInboundLimits sets the inbound queues' limits; zero fields keep
// their defaults (or what WithInboundQueueDepth set).
func WithInboundLimits(l InboundLimits) Option {
	return func(c *config) {
		if l.QueueDepth > 0 {
			c.inbound.QueueDepth = l.QueueDepth
		}
		if l.PeerBytes > 0 {
			c.inbound.PeerBytes = l.PeerBytes
		}
		if l.TotalBytes > 0 {
			c.inbound.TotalBytes = l.TotalBytes
		}
		if l.Workers > 0 {
			c.inbound.Workers = l.Workers
		}
	}
}

// WithSendStats makes the manager count the messages and bytes it hands
// to each lane, by payload type and wire kind (Stats.Sent), for metrics.
// It is off by default: parallel senders to one destination would share
// its counters' cache lines, which costs the in-memory hot path several
// times its bare cost (next to a real wire's write it is noise).
func WithSendStats() Option { return func(c *config) { c.sendStats = true } }

// Default limits: generous for a node with thousands of peers, finite so
// that a flood (of destinations asked for, or of peers connecting in)
// meets an error instead of exhausting memory and file descriptors.
const (
	DefaultMaxDests        = 100_000
	DefaultMaxPendingDials = 4_096
)

// WithMaxDests bounds the destinations the manager holds at once —
// dialling, connected or closing, whether this node dialled them or peers
// connected in (Adopt). A Send to, or an Adopt from, one more fails with
// an error matching ErrTooManyDests. Default DefaultMaxDests.
func WithMaxDests(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxDests = n
		}
	}
}

// WithMaxPendingDials bounds the destination dials in flight at once; a
// Send needing one more fails with an error matching ErrTooManyDials
// (the dials in flight are not affected). Default DefaultMaxPendingDials.
func WithMaxPendingDials(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxDials = n
		}
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// testHooks let tests force interleavings deterministically. nil in production.
type testHooks struct {
	beforeWait   func(d Dest)                         // a waiter saw a dial in flight and is about to wait
	afterBuild   func(d Dest)                         // the builder returned, before the result is committed
	beforeReap   func(t *DestTransport)               // the ready monitor or health checker is about to remove t
	afterReap    func(t *DestTransport, removed bool) // a reap finished; removed says whether t was still current
	afterConnect func(w Wire)                         // a wire connected, before the pool commits it
	poolClosed   func(p *WirePool)                    // a pool was marked closed, before its wires are closed
	closing      func(t *DestTransport)               // CloseTransport is about to close t
	livePut      func(t *DestTransport)               // t is (again) in the lock-free index, m.mu held
	published    func(p *WirePool)                    // p published a new ready set, p.mu held
}
