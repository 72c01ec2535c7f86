package rpc

import (
	"log/slog"
	"time"

	"github.com/actr-go/actr/transport"
)

// Config configures an Endpoint. The zero value is usable.
type Config struct {
	// DefaultTimeout bounds a call whose ctx has no deadline; its
	// timeout_ms is this (actr requires timeout_ms > 0). Default 30 s.
	DefaultTimeout time.Duration
	// MaxTimeout caps the deadline a peer's timeout_ms gives a handler
	// (a peer cannot make a handler's ctx live for days). Default 5 min.
	MaxTimeout time.Duration
	// ReplyTimeout bounds sending one response. Default 5 s.
	ReplyTimeout time.Duration
	// MaxCallsPerPeer bounds this endpoint's calls in flight to one peer
	// (ErrTooManyCalls beyond). Default 4096.
	MaxCallsPerPeer int
	// MaxHandlersPerPeer and MaxHandlers bound the handlers running (or
	// waiting to reply later) for one peer and in all; a request beyond
	// is answered with CodeOverloaded at once. Defaults 256 and 4096.
	MaxHandlersPerPeer, MaxHandlers int
	// TellWait is how long a tell that finds no handler slot waits for
	// one (holding up its sender's lane: backpressure) before it is
	// dropped and counted. Default 5 s.
	TellWait time.Duration
	// MaxStreamsPerPeer bounds the streams whose order is tracked for one
	// peer; a new stream beyond takes the place of the one idle longest
	// (and of 1,024 peers tracked, a new one takes the place of the peer
	// idle longest). Default 64.
	MaxStreamsPerPeer int
	// Fallback, when set, receives the messages that are not this
	// package's: bytes on an RPC lane that do not decode as an
	// RpcEnvelope or carry no direction, and chunks on a stream lane
	// when no stream handler is set. They are counted either way.
	// Envelopes with a direction never reach it.
	Fallback transport.Handler
	// Metrics, when set, is updated (see NewMetrics).
	Metrics *Metrics
	// Logger receives the endpoint's logs (default: discard).
	Logger *slog.Logger
}

// Limits of what a peer's envelope may carry, whatever the message size.
const (
	maxRouteKey  = 256
	maxRequestID = 128
	maxStreamID  = 256
)

func (c Config) withDefaults() Config {
	if c.DefaultTimeout <= 0 {
		c.DefaultTimeout = 30 * time.Second
	}
	if c.MaxTimeout <= 0 {
		c.MaxTimeout = 5 * time.Minute
	}
	if c.ReplyTimeout <= 0 {
		c.ReplyTimeout = 5 * time.Second
	}
	if c.MaxCallsPerPeer <= 0 {
		c.MaxCallsPerPeer = 4096
	}
	if c.MaxHandlersPerPeer <= 0 {
		c.MaxHandlersPerPeer = 256
	}
	if c.MaxHandlers <= 0 {
		c.MaxHandlers = 4096
	}
	if c.TellWait <= 0 {
		c.TellWait = 5 * time.Second
	}
	if c.MaxStreamsPerPeer <= 0 {
		c.MaxStreamsPerPeer = 64
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
