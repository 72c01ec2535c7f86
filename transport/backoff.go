package transport

import (
	"math"
	"math/rand/v2"
	"time"
)

// Backoff is the retry policy for connecting one wire: exponential delays
// with jitter, and a bounded number of attempts. The zero value of a field
// means its default.
type Backoff struct {
	// Attempts is the total number of connect attempts, the first included (default 3).
	Attempts int
	// Initial is the delay before the first retry (default 1 s).
	Initial time.Duration
	// Max caps the delay before jitter is applied (default 10 s).
	Max time.Duration
	// Multiplier grows the delay after each retry (default 2).
	Multiplier float64
	// Jitter spreads each delay uniformly over ±Jitter of itself, so peers
	// that failed together do not retry together (default 0.2; at most 1).
	// Zero means the default: use NoJitter for fixed delays.
	Jitter float64
}

// NoJitter, as Backoff.Jitter, turns jitter off: every delay is exactly
// Initial·Multiplier^retry, capped at Max.
const NoJitter = -1.0

// DefaultBackoff returns the defaults: 3 attempts, 1 s doubling to at most
// 10 s, ±20 % jitter.
func DefaultBackoff() Backoff {
	return Backoff{Attempts: 3, Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, Jitter: 0.2}
}

func (b Backoff) withDefaults() Backoff {
	d := DefaultBackoff()
	if b.Attempts <= 0 {
		b.Attempts = d.Attempts
	}
	if b.Initial <= 0 {
		b.Initial = d.Initial
	}
	if b.Max <= 0 {
		b.Max = d.Max
	}
	if b.Max < b.Initial {
		b.Max = b.Initial
	}
	if b.Multiplier < 1 {
		b.Multiplier = d.Multiplier
	}
	// A negative Jitter stays negative (off), so that a policy normalised
	// twice, as WithBackoff and Delay both do, keeps it off.
	if b.Jitter == 0 {
		b.Jitter = d.Jitter
	}
	if b.Jitter < 0 {
		b.Jitter = NoJitter
	}
	if b.Jitter > 1 {
		b.Jitter = 1
	}
	return b
}

// Delay returns the wait before retry number retry (0 for the wait after the
// first failed attempt), with jitter drawn at random.
func (b Backoff) Delay(retry int) time.Duration {
	return b.delay(retry, rand.Float64())
}

// delay computes the delay for a given uniform draw u in [0, 1): the base
// delay Initial·Multiplier^retry is capped at Max, then scaled by
// 1 + Jitter·(2u − 1).
func (b Backoff) delay(retry int, u float64) time.Duration {
	b = b.withDefaults()
	if retry < 0 {
		retry = 0
	}
	base := float64(b.Initial) * math.Pow(b.Multiplier, float64(retry))
	if base > float64(b.Max) || math.IsInf(base, 0) || math.IsNaN(base) {
		base = float64(b.Max)
	}
	d := base * (1 + max(b.Jitter, 0)*(2*u-1))
	if d < 0 {
		d = 0
	}
	return time.Duration(d)
}
