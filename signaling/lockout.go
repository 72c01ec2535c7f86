package signaling

import "time"

// lockout slows down guessing of realm secrets from one address: a few
// failures are free, each further one shuts the address out for a window
// that doubles per failure. Not safe for concurrent use: its owner guards
// it.
type lockout struct {
	failures int
	lastFail time.Time
	until    time.Time
}

// locked reports how long the address is still shut out at now (0: not).
func (l *lockout) locked(now time.Time) time.Duration {
	if now.Before(l.until) {
		return l.until.Sub(now)
	}
	return 0
}

// fail records a failed secret at now.
func (l *lockout) fail(now time.Time, lim *Limits) {
	// A quiet address is forgiven; success never resets the count, or a
	// guesser knowing one realm's secret could interleave it.
	if !l.lastFail.IsZero() && now.Sub(l.lastFail) > lim.SecretLockoutMax {
		l.failures = 0
	}
	l.failures++
	l.lastFail = now
	if over := l.failures - lim.SecretFreeFailures; over > 0 {
		d := lim.SecretLockout
		for i := 1; i < over && d < lim.SecretLockoutMax; i++ {
			d *= 2
		}
		l.until = now.Add(min(d, lim.SecretLockoutMax))
	}
}

// idle reports whether the lockout holds nothing worth keeping at now.
func (l *lockout) idle(now time.Time, lim *Limits) bool {
	return l.failures == 0 || now.Sub(l.lastFail) > lim.SecretLockoutMax
}
