package transport

import (
	"context"
	"sync"
	"time"
)

// StartHealthChecker starts a goroutine that checks every transport each
// interval (10–30 s is sensible):
//
//   - a transport with no healthy wire is removed and closed (the next Send
//     dials again);
//   - a transport with some failed wires asks the builder for new wires of
//     the failed kinds only, leaving ready and connecting wires alone;
//   - a wire that stays not ready across two checks although it has not
//     reported its death (a peer stuck half-dead) is failed.
//
// The returned stop function stops the checker and waits for it to end;
// it is safe to call more than once. The checker also stops when the
// manager closes.
func (m *OutprocManager) StartHealthChecker(interval time.Duration) (stop func()) {
	if interval <= 0 {
		interval = 10 * time.Second
	}
	ctx, cancel := context.WithCancel(m.ctx)
	done := make(chan struct{})
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		cancel()
		return func() {}
	}
	m.wg.Add(1)
	m.mu.Unlock()
	go func() {
		defer m.wg.Done()
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				m.checkHealth()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
}

// reasonHealthCheck is the removal reason of the health checker's reaps.
const reasonHealthCheck = "health check: no healthy wire"

// reasonClosedByUser is the removal reason of a transport closed by its
// user (DestTransport.Close) rather than by the manager.
const reasonClosedByUser = "closed by its user"

// CheckHealth runs one health check now, as the periodic checker does
// (see StartHealthChecker): failed wires are re-dialled in the
// background, transports with no healthy wire are removed, and a wire
// not ready at this check and the previous one is failed. It returns
// when the check has been made, not when the re-dials end.
func (m *OutprocManager) CheckHealth() { m.checkHealth() }

// checkHealth runs one health check over a snapshot of the transports,
// taken without holding the lock while wires are examined.
func (m *OutprocManager) checkHealth() {
	m.mu.RLock()
	ts := make([]*DestTransport, 0, len(m.entries))
	for _, e := range m.entries {
		if e.t != nil && !e.closing {
			ts = append(ts, e.t)
		}
	}
	m.mu.RUnlock()
	for _, t := range ts {
		h := t.pool.checkHealth()
		switch {
		case h.ready == 0 && h.connecting == 0:
			m.reapAsync(t, reasonHealthCheck)
		case h.failed > 0:
			t.pool.reconnect(m.builder, m.buildRequest(t.pool.dest, nil))
		}
	}
}
