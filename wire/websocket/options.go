package websocket

import (
	"io"
	"log/slog"
	"time"
)

// Options tune a connection. The zero value is usable: every field has a
// default.
type Options struct {
	// MaxMessageSize bounds a frame's payload, on send (a
	// *transport.MessageTooLargeError) and on receive (the connection is
	// closed with StatusMessageTooBig). Default DefaultMaxMessageSize.
	MaxMessageSize int
	// PingInterval is how often an idle connection is pinged. Default 15 s;
	// negative disables keepalive.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take before the peer is declared
	// dead and the connection closed. It must cover writing one
	// MaxMessageSize frame, which a ping waits behind. Default 10 s.
	PingTimeout time.Duration
	// StallTimeout bounds how long a frame may be stuck on a peer that
	// takes none of its bytes: past it the connection is failed with an
	// error matching transport.ErrStalled (counted in Counters.Stalls), and
	// the Send writing the frame returns that error, whatever its ctx.
	// Progress is bytes the kernel takes (large frames are written in
	// 256 KiB pieces to show it), and the kernel wakes a blocked writer
	// only once about half its send buffer is free: a peer reading slower
	// than about half the send buffer per StallTimeout is taken for a
	// staller (Linux caps the buffer at 4 MiB by default, so with the
	// default timeout about 400 KB/s at worst; on a slow path the buffer,
	// sized to it, is smaller). Default 5 s; negative disables (Sends
	// with no deadline then wait for the keepalive).
	StallTimeout time.Duration
	// Logger receives refused frames and connection deaths. Default: discard.
	Logger *slog.Logger
	// Counters, when set, is shared by every connection using these
	// options; by default each Dialer and Gate has its own.
	Counters *Counters

	// writeHook, for tests, wraps the connection data frames are written to.
	writeHook func(io.Writer) io.Writer
}

const (
	defaultPingInterval = 15 * time.Second
	defaultPingTimeout  = 10 * time.Second
	defaultStallTimeout = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = DefaultMaxMessageSize
	}
	if o.PingInterval == 0 {
		o.PingInterval = defaultPingInterval
	}
	if o.PingTimeout <= 0 {
		o.PingTimeout = defaultPingTimeout
	}
	if o.StallTimeout == 0 {
		o.StallTimeout = defaultStallTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Counters == nil {
		o.Counters = new(Counters)
	}
	return o
}
