package status

import (
	"sync"
	"time"
)

// rateWindow is how far back rates look: long enough to smooth bursts,
// short enough to follow a change within seconds.
const rateWindow = 5 * time.Second

// sampleEvery is how often a sampler reads its counters.
const sampleEvery = time.Second

// sampler reads a set of counters every second and gives their rates
// over the last rateWindow. It runs one goroutine, which close stops and
// waits for.
type sampler struct {
	read func() map[string]uint64
	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	samples []sample // oldest first, covering about rateWindow
}

type sample struct {
	at     time.Time
	values map[string]uint64
}

func newSampler(read func() map[string]uint64) *sampler {
	s := &sampler{read: read, stop: make(chan struct{}), done: make(chan struct{})}
	s.take(time.Now())
	go s.run()
	return s
}

func (s *sampler) run() {
	defer close(s.done)
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.take(now)
		case <-s.stop:
			return
		}
	}
}

func (s *sampler) take(now time.Time) {
	v := s.read()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.samples = append(s.samples, sample{at: now, values: v})
	// Keep one sample at least rateWindow old, as the base.
	for len(s.samples) > 2 && now.Sub(s.samples[1].at) >= rateWindow {
		s.samples = s.samples[1:]
	}
}

// rates returns the per-second rate of every counter between the oldest
// sample kept and now's values, and the seconds that covers (0 before a
// second has passed: no rates yet).
func (s *sampler) rates(now time.Time, current map[string]uint64) (map[string]float64, float64) {
	s.mu.Lock()
	base := s.samples[0]
	s.mu.Unlock()
	dt := now.Sub(base.at).Seconds()
	out := make(map[string]float64, len(current))
	if dt < 0.5 {
		return out, 0
	}
	for k, v := range current {
		if b := base.values[k]; v >= b {
			out[k] = float64(v-b) / dt
		}
	}
	return out, dt
}

func (s *sampler) close() {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
	})
}
