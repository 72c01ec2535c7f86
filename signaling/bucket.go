package signaling

import "time"

// bucket is a token bucket. It is not safe for concurrent use: its owner
// guards it.
type bucket struct {
	tokens float64
	last   time.Time
}

func newBucket(burst int, now time.Time) bucket {
	return bucket{tokens: float64(burst), last: now}
}

// take refills the bucket for the time since the last call and takes one
// token; it reports false, taking nothing, when there is none.
func (b *bucket) take(now time.Time, rate float64, burst int) bool {
	if d := now.Sub(b.last); d > 0 {
		b.tokens = min(float64(burst), b.tokens+d.Seconds()*rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket would be full at now, i.e. forgetting
// it gives its owner nothing it does not already have.
func (b *bucket) full(now time.Time, rate float64, burst int) bool {
	return b.tokens+now.Sub(b.last).Seconds()*rate >= float64(burst)
}
