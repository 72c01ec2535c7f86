package websocket

import (
	"errors"
	"sync/atomic"
)

// ErrBufferBudget: taking more bytes for a frame being read would put the
// gate or Dialer over its budget for such bytes (MaxBufferedBytes); the
// connection that asked is closed with StatusTryAgainLater (its frame is
// not drained: its bytes may never come), counted in
// Counters.RefusedBudget.
var ErrBufferBudget = errors.New("websocket: over the budget for frames being read (MaxBufferedBytes); retry later")

// byteBudget bounds the bytes held, all connections of a gate (or a
// Dialer) together,
// in frames being read and not yet delivered. Only readers use it, never
// the send path.
type byteBudget struct {
	max   int64         // <= 0: no bound, only counted
	held  atomic.Int64  // bytes taken now
	gauge *atomic.Int64 // Counters.BufferedBytes, kept equal to held
}

// take takes n bytes, unless that would exceed the budget. A nil budget
// always has room.
func (b *byteBudget) take(n int) bool {
	if b == nil {
		return true
	}
	if h := b.held.Add(int64(n)); b.max > 0 && h > b.max {
		b.held.Add(-int64(n))
		return false
	}
	b.gauge.Add(int64(n))
	return true
}

// give gives back n bytes taken.
func (b *byteBudget) give(n int) {
	if b == nil || n == 0 {
		return
	}
	b.held.Add(-int64(n))
	b.gauge.Add(-int64(n))
}
