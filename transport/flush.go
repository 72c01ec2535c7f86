package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Flusher is a Wire that can tell when what its lanes accepted has
// reached the peer, or at least the kernel's socket. A wire whose Send
// returns only once the bytes are in the socket has nothing to flush; one
// that queues (a WebRTC data channel, SCTP; the WebSocket wire's pending
// small frames) implements Flush. Closing a pool flushes
// its wires first, bounded by a grace period (see [WithCloseGrace]).
type Flusher interface {
	// Flush returns nil once everything its lanes' Sends accepted has been
	// delivered to the peer (acknowledged, where the wire can tell), or an
	// error matching ErrUnflushed when ctx ends first. New Sends may still
	// be accepted meanwhile; Flush waits for them too.
	Flush(ctx context.Context) error
}

// ErrUnflushed: a wire was closed with data its Sends had accepted still
// unsent, because the close's grace period or ctx ended first. See
// [UnflushedError].
var ErrUnflushed = errors.New("transport: closed with data still unsent")

// UnflushedError reports a wire closed before what it had accepted was
// delivered.
type UnflushedError struct {
	Dest  Dest
	Kind  WireKind
	Bytes int   // accepted and not delivered, as far as the wire knows (0: unknown)
	Err   error // why the flush stopped: the deadline, or the wire dying
}

func (e *UnflushedError) Error() string {
	what := "data"
	if e.Bytes > 0 {
		what = fmt.Sprintf("%d bytes", e.Bytes)
	}
	return fmt.Sprintf("transport: %s wire to %s closed with %s still unsent: %v (give Close more time: CloseTransport's ctx, Shutdown's ctx, or WithCloseGrace)", e.Kind, e.Dest, what, e.Err)
}

// Is makes errors.Is(err, ErrUnflushed) true.
func (e *UnflushedError) Is(target error) bool { return target == ErrUnflushed }

func (e *UnflushedError) Unwrap() error { return e.Err }

// DefaultCloseGrace bounds how long a Close waits for its wires to flush.
const DefaultCloseGrace = 5 * time.Second

// WithCloseGrace bounds how long closing a transport (Close,
// CloseTransport, the manager's Close and Shutdown) waits for what Send
// accepted to reach the peer before the wires are closed anyway (default
// DefaultCloseGrace; negative: do not wait). Data still unsent then is
// reported: the close returns an error matching ErrUnflushed, and
// Stats.Unflushed counts the wires.
func WithCloseGrace(d time.Duration) Option {
	return func(c *config) {
		if d != 0 {
			c.closeGrace = d
		}
	}
}

// graceCtx bounds ctx by the close grace.
func (c *config) graceCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if c.closeGrace < 0 {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx, cancel
	}
	return context.WithTimeout(ctx, c.closeGrace)
}

// flushAll flushes every Flusher among ws at once and returns their
// failures, each an *UnflushedError.
func flushAll(ctx context.Context, dest Dest, ws []*member, counter *atomic.Uint64) error {
	var wg sync.WaitGroup
	errs := make([]error, len(ws))
	for i, m := range ws {
		f, ok := m.wire.(Flusher)
		if !ok {
			continue
		}
		wg.Go(func() {
			err := f.Flush(ctx)
			if err == nil {
				return
			}
			var ue *UnflushedError
			if !errors.As(err, &ue) {
				ue = &UnflushedError{Err: err}
			}
			ue.Dest, ue.Kind = dest, m.kind
			errs[i] = ue
			counter.Add(1)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
