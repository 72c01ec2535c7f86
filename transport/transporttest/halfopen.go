package transporttest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// HalfOpenReport is what [FillUntilBlocked] measured.
type HalfOpenReport struct {
	// Accepted is how many messages Send took before it settled into
	// returning its deadline's error: what the path to the peer buffers.
	Accepted int
	// Offered is how many messages the concurrent senders offered after
	// that; Refused of them returned their deadline's error, Died failed
	// early because their connection was closed under them (ErrNoRoute or
	// ErrLaneClosed), the others were taken (by a new connection, if the
	// stalled one was closed).
	Offered, Refused, Died int
	// MaxOverrun is the longest a refused Send took past its deadline.
	MaxOverrun time.Duration
	// HeapGrowth is how much the live heap grew while they were offered
	// (negative when it shrank).
	HeapGrowth int64
}

// FillUntilBlocked sends fresh size-byte messages of payload type pt to a
// peer that no longer reads, each with a deadline of wait, until settle
// in a row fail with their deadline's error (more than one when buffers
// further along still drain for a while); then senders goroutines each offer
// rounds more. Every Send must return nil, its deadline's error (never
// before the deadline), or the death of its connection, and never hang. A transport that queued what it
// could not send would grow the heap by Offered × size.
func FillUntilBlocked(ctx context.Context, send func(context.Context, protocol.PayloadType, []byte) error,
	pt protocol.PayloadType, size int, wait time.Duration, settle, senders, rounds int) (HalfOpenReport, error) {
	var r HalfOpenReport
	for timeouts := 0; timeouts < settle; {
		if r.Accepted > 1<<20 {
			return r, fmt.Errorf("%d messages of %d bytes accepted and Send never blocked", r.Accepted, size)
		}
		sctx, cancel := context.WithTimeout(ctx, wait)
		err := send(sctx, pt, make([]byte, size))
		cancel()
		if err == nil {
			r.Accepted++
			timeouts = 0
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return r, fmt.Errorf("Send %d to a peer that stopped reading: %v, want its deadline", r.Accepted, err)
		}
		timeouts++
	}
	before := liveHeap()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range senders {
		wg.Go(func() {
			for range rounds {
				start := time.Now()
				sctx, cancel := context.WithTimeout(ctx, wait)
				err := send(sctx, pt, make([]byte, size))
				cancel()
				took := time.Since(start)
				mu.Lock()
				switch {
				case err == nil:
				case errors.Is(err, context.DeadlineExceeded) && took >= wait:
					r.Refused++
					r.MaxOverrun = max(r.MaxOverrun, took-wait)
				case errors.Is(err, transport.ErrNoRoute) || errors.Is(err, transport.ErrLaneClosed):
					r.Died++
				default:
					errs = append(errs, fmt.Errorf("a Send to the stalled peer returned %v after %v, want nil, its deadline (%v) or a reported death", err, took, wait))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	r.Offered = senders * rounds
	r.HeapGrowth = int64(liveHeap()) - int64(before)
	return r, errors.Join(errs...)
}

func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Stalled returns a handler that stops reading: every call blocks until
// release is closed or the manager closes. Inbound queues fill behind
// it, then the wire's reader, then the wire's flow control pushes back on
// the sender, as with a peer whose process hangs.
func Stalled(release <-chan struct{}) transport.Handler {
	return transport.HandlerFunc(func(ctx context.Context, _ transport.Message) {
		select {
		case <-release:
		case <-ctx.Done():
		}
	})
}
