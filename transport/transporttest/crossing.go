package transporttest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SendResult is what one Send of a [CrossingStream] returned, and whether
// it started after the death was reported.
type SendResult struct {
	Err        error
	AfterDeath bool
}

// CrossingStream sends numbered messages (seq 0, 1, …) across the death
// of a connection: until the test calls DeathReported, then until after
// more Sends started after that have returned nil. Each Send gets its own
// deadline. Judge then checks the results against a DeliveryLog.
type CrossingStream struct {
	deathSeen atomic.Bool
	results   []SendResult // the sender's until wg.Wait returns
	wg        sync.WaitGroup
}

// StartCrossingStream starts the sender; send sends message seq.
func StartCrossingStream(ctx context.Context, send func(ctx context.Context, seq uint32) error, perSend time.Duration, after int) *CrossingStream {
	s := &CrossingStream{}
	s.wg.Go(func() {
		for seq, ok := uint32(0), 0; ok < after && ctx.Err() == nil; seq++ {
			r := SendResult{AfterDeath: s.deathSeen.Load()}
			sctx, cancel := context.WithTimeout(ctx, perSend)
			r.Err = send(sctx, seq)
			cancel()
			s.results = append(s.results, r)
			if r.AfterDeath && r.Err == nil {
				ok++
			}
		}
	})
	return s
}

// DeathReported tells the sender the death has been reported: Sends
// from now on must not be lost.
func (s *CrossingStream) DeathReported() { s.deathSeen.Store(true) }

// Wait waits for the sender to finish and returns what each Send
// returned, by sequence number.
func (s *CrossingStream) Wait() []SendResult {
	s.wg.Wait()
	return s.results
}

// Judge holds results against what l received on stream k: a message
// whose Send returned nil after the death was reported must have
// arrived; one sent before may be lost (it went to the dying
// connection); every error must satisfy allowed. It returns how many were
// lost and how many Sends failed, and the contract's violations.
func (l *DeliveryLog) Judge(k SeqKey, results []SendResult, allowed func(error) bool) (lost, failed int, violations []error) {
	for seq, r := range results {
		switch {
		case r.Err != nil:
			failed++
			if !allowed(r.Err) {
				violations = append(violations, fmt.Errorf("Send %d: unexpected error %w", seq, r.Err))
			}
		case l.Has(k, uint32(seq)):
		case r.AfterDeath:
			violations = append(violations, fmt.Errorf("message %d: Send returned nil after the death was reported, never delivered", seq))
		default:
			lost++ // sent on the dying connection
		}
	}
	return lost, failed, violations
}
