package signaling

import (
	"net"
	"sync"
	"time"
)

// addrState is what the server keeps per remote IP address: its open
// connections, and the budgets its connections share so that opening
// more of them multiplies nothing.
type addrState struct {
	host  string
	conns int // guarded by addrTable.mu

	mu   sync.Mutex
	env  bucket  // envelopes, AddrRateLimit
	reg  bucket  // registrations, RegisterRate
	lock lockout // failed realm secrets
}

// allowEnvelope takes a token from the address's envelope bucket.
func (a *addrState) allowEnvelope(now time.Time, lim *Limits) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.env.take(now, lim.AddrRateLimit, lim.AddrRateBurst)
}

// addrTable holds the addresses with connections open, or with budgets
// not yet refilled, so that closing every connection does not reset them.
type addrTable struct {
	mu    sync.Mutex
	m     map[string]*addrState
	total int
}

// admit counts a new connection from host, or refuses it when a cap is
// reached.
func (t *addrTable) admit(host string, lim *Limits, now time.Time) (*addrState, RefusalReason, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.total >= lim.MaxConns {
		return nil, RefusedConnLimit, false
	}
	a := t.m[host]
	if a != nil && a.conns >= lim.MaxConnsPerAddr {
		return nil, RefusedAddrConnLimit, false
	}
	if a == nil {
		a = &addrState{host: host, env: newBucket(lim.AddrRateBurst, now), reg: newBucket(lim.RegisterBurst, now)}
		t.m[host] = a
	}
	a.conns++
	t.total++
	return a, 0, true
}

// release uncounts a connection admitted from a.
func (t *addrTable) release(a *addrState) {
	t.mu.Lock()
	a.conns--
	t.total--
	t.mu.Unlock()
}

// sweep forgets the addresses without connections whose budgets are
// whole again: keeping them would change nothing.
func (t *addrTable) sweep(now time.Time, lim *Limits) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for host, a := range t.m {
		if a.conns > 0 {
			continue
		}
		a.mu.Lock()
		idle := a.env.full(now, lim.AddrRateLimit, lim.AddrRateBurst) &&
			a.reg.full(now, lim.RegisterRate, lim.RegisterBurst) && a.lock.idle(now, lim)
		a.mu.Unlock()
		if idle {
			delete(t.m, host)
		}
	}
}

// hostOf returns the IP address of a "host:port" remote address. The
// connection's own address is used, never a forwarding header a client
// could forge.
func hostOf(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}
