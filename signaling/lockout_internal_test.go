package signaling

import (
	"testing"
	"testing/synctest"
	"time"
)

// H12, the lockout in isolation, on a fake clock: free failures, then a
// window doubling per failure up to the maximum, forgotten after a quiet
// maximum window; a success does not reset it.
func TestHostileH12LockoutBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lim := Limits{SecretFreeFailures: 2, SecretLockout: time.Second, SecretLockoutMax: 8 * time.Second}
		var l lockout
		for range 2 {
			l.fail(time.Now(), &lim)
			if d := l.locked(time.Now()); d != 0 {
				t.Fatalf("locked %v within the free failures", d)
			}
		}
		for _, want := range []time.Duration{1, 2, 4, 8, 8} {
			l.fail(time.Now(), &lim)
			if d := l.locked(time.Now()); d != want*time.Second {
				t.Fatalf("locked %v, want %v", d, want*time.Second)
			}
			time.Sleep(want * time.Second) // fake time: the window passes
			if d := l.locked(time.Now()); d != 0 {
				t.Fatalf("still locked %v after the window", d)
			}
		}
		time.Sleep(lim.SecretLockoutMax + time.Second)
		if !l.idle(time.Now(), &lim) {
			t.Fatal("not idle after a quiet maximum window")
		}
		l.fail(time.Now(), &lim)
		if d := l.locked(time.Now()); d != 0 {
			t.Fatalf("a forgiven address locked %v at its first new failure", d)
		}
	})
}

// The token bucket on a fake clock: a burst, then the rate.
func TestBucketRefills(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := newBucket(3, time.Now())
		n := 0
		for b.take(time.Now(), 2, 3) {
			n++
		}
		if n != 3 {
			t.Fatalf("burst %d, want 3", n)
		}
		time.Sleep(500 * time.Millisecond)
		if !b.take(time.Now(), 2, 3) || b.take(time.Now(), 2, 3) {
			t.Fatal("half a second at 2/s is one token")
		}
		time.Sleep(10 * time.Second)
		if !b.full(time.Now(), 2, 3) {
			t.Fatal("not full after 10 s")
		}
	})
}
