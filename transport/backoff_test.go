package transport_test

import (
	"testing"
	"time"

	"github.com/actr-go/actr/transport"
)

func TestBackoffSequenceCapAndDefaults(t *testing.T) {
	b := transport.DefaultBackoff()
	if b.Attempts != 3 || b.Initial != time.Second || b.Max != 10*time.Second || b.Multiplier != 2 || b.Jitter != 0.2 {
		t.Fatalf("defaults: %+v", b)
	}
	// u = 0.5 is the middle of the jitter range: the bare exponential.
	want := []time.Duration{1, 2, 4, 8, 10, 10, 10}
	for i, w := range want {
		if got := time.Duration(transport.BackoffDelay(b, i, 0.5)); got != w*time.Second {
			t.Errorf("retry %d: %v, want %v", i, got, w*time.Second)
		}
	}
	if got := time.Duration(transport.BackoffDelay(b, 1000, 0.5)); got != 10*time.Second {
		t.Errorf("huge retry number: %v, want the cap", got)
	}
	custom := transport.Backoff{Initial: 100 * time.Millisecond, Max: time.Second, Multiplier: 1.6, Jitter: -1}
	if got := time.Duration(transport.BackoffDelay(custom, 2, 0.99)); got != 256*time.Millisecond {
		t.Errorf("custom, no jitter: %v, want 256ms", got)
	}
	// A zero Backoff means the defaults.
	if got := time.Duration(transport.BackoffDelay(transport.Backoff{}, 0, 0.5)); got != time.Second {
		t.Errorf("zero Backoff: %v", got)
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	b := transport.DefaultBackoff()
	if lo := time.Duration(transport.BackoffDelay(b, 0, 0)); lo != 800*time.Millisecond {
		t.Fatalf("lowest draw: %v, want 0.8s", lo)
	}
	if hi := time.Duration(transport.BackoffDelay(b, 3, 0.999999)); hi < 9590*time.Millisecond || hi > 9600*time.Millisecond {
		t.Fatalf("highest draw for 8s: %v, want just under 9.6s", hi)
	}
	lo, hi := 2*time.Second, time.Duration(0)
	for range 10000 {
		d := b.Delay(1) // base 2s
		if d < 1600*time.Millisecond || d > 2400*time.Millisecond {
			t.Fatalf("delay %v outside 2s ±20%%", d)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if hi-lo < 600*time.Millisecond {
		t.Fatalf("10000 draws spread only over [%v, %v]: jitter is not being applied", lo, hi)
	}
}
