package transport

// Hooks exposes the manager's test hooks to the external test package.
type Hooks struct {
	BeforeWait   func(d Dest)
	AfterBuild   func(d Dest)
	BeforeReap   func(t *DestTransport)
	AfterReap    func(t *DestTransport, removed bool)
	AfterConnect func(w Wire)
	PoolClosed   func(p *WirePool)
	Closing      func(t *DestTransport)
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
		}
	}
}

// BackoffDelay exposes the deterministic backoff computation.
func BackoffDelay(b Backoff, retry int, u float64) int64 { return int64(b.delay(retry, u)) }
