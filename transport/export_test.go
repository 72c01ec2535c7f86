package transport

import (
	"errors"
	"fmt"

	"github.com/actr-go/actr/protocol"
)

// Hooks exposes the manager's test hooks to the external test package.
type Hooks struct {
	BeforeWait   func(d Dest)
	AfterBuild   func(d Dest)
	BeforeReap   func(t *DestTransport)
	AfterReap    func(t *DestTransport, removed bool)
	AfterConnect func(w Wire)
	PoolClosed   func(p *WirePool)
	Closing      func(t *DestTransport)
	LivePut      func(t *DestTransport)
	Published    func(p *WirePool)
}

// WithHooks installs test hooks.
func WithHooks(h Hooks) Option {
	return func(c *config) {
		c.hooks = &testHooks{
			beforeWait:   h.BeforeWait,
			afterBuild:   h.AfterBuild,
			beforeReap:   h.BeforeReap,
			afterReap:    h.AfterReap,
			afterConnect: h.AfterConnect,
			poolClosed:   h.PoolClosed,
			closing:      h.Closing,
			livePut:      h.LivePut,
			published:    h.Published,
		}
	}
}

// BackoffDelay exposes the deterministic backoff computation.
func BackoffDelay(b Backoff, retry int, u float64) int64 { return int64(b.delay(retry, u)) }

// CheckLive reports, under the manager's lock, whether the lock-free index
// of live transports agrees exactly with the entries: it holds dest → t if
// and only if dest's entry is connected to t and not closing.
func (m *OutprocManager) CheckLive() error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var errs []error
	for d, e := range m.entries {
		want := e.t
		if e.closing {
			want = nil
		}
		if got := m.live.load(d); got != want {
			errs = append(errs, fmt.Errorf("live[%v] = %p, want %p (settled %v, closing %v)", d, got, want, e.settled, e.closing))
		}
	}
	m.live.each(func(d Dest, t *DestTransport) {
		if e := m.entries[d]; e == nil || e.closing || e.t != t {
			errs = append(errs, fmt.Errorf("live[%v] = %p but the dest has no connected, open entry with it", d, t))
		}
	})
	return errors.Join(errs...)
}

// each calls f for every dest in the index. Like put, it must be
// serialized with writers.
func (x *liveIndex) each(f func(Dest, *DestTransport)) {
	tab := x.tab.Load()
	if tab == nil {
		return
	}
	for i := range tab.slots {
		if t := tab.slots[i].Load(); t != nil && t != tombstone {
			f(t.pool.dest, t)
		}
	}
}

// NormalizeBackoff is what WithBackoff stores.
func NormalizeBackoff(b Backoff) Backoff { return b.withDefaults() }

// Routed reports whether a Send on t for pt, now, would wait for or take
// a lane rather than fail at once for want of a route: some wire that may
// carry pt is ready or connecting, or the pool is dead or closed (a
// different error).
func (t *DestTransport) Routed(pt protocol.PayloadType) bool { return t.pool.Routed(pt) }

// Routed is DestTransport.Routed for the pool's current ready set.
func (p *WirePool) Routed(pt protocol.PayloadType) bool {
	rs := p.current.Load()
	return rs.routable[pt] || rs.dead || rs.closed
}
