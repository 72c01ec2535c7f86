package status

import (
	"fmt"
	"sync"
	"time"

	"github.com/actr-go/actr/transport"
)

// DefaultEvents is how many events a Recorder keeps by default.
const DefaultEvents = 100

// Recorder keeps the last events of a manager's bus, oldest first, in a
// bounded ring. It runs one goroutine, which Close stops and waits for.
type Recorder struct {
	sub     *transport.Subscription
	done    chan struct{}
	once    sync.Once
	started time.Time
	rates   *sampler // the manager's counters, for rates

	mu     sync.Mutex
	ring   []EventInfo
	next   int // where the next event goes
	full   bool
	missed uint64
}

// EventInfo is a recorded event.
type EventInfo struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"`
	Dest   string    `json:"dest,omitempty"`
	Wire   string    `json:"wire,omitempty"` // kind and id, "webrtc 12"
	State  string    `json:"state,omitempty"`
	Reason string    `json:"reason,omitempty"`
	Err    string    `json:"error,omitempty"`
	// Summary is Err in a few words, Outcome its class (Describe).
	Summary string  `json:"summary,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
}

// NewRecorder records m's events, keeping the last n (DefaultEvents if
// n <= 0), and samples m's counters every second for the page's rates.
// It runs two goroutines, which Close stops and waits for.
func NewRecorder(m *transport.OutprocManager, n int) *Recorder {
	if n <= 0 {
		n = DefaultEvents
	}
	r := &Recorder{sub: m.Subscribe(256), done: make(chan struct{}), ring: make([]EventInfo, n), started: time.Now(),
		rates: newSampler(func() map[string]uint64 { return counterValues(m.Stats()) })}
	go r.run()
	return r
}

func (r *Recorder) run() {
	defer close(r.done)
	for ev := range r.sub.Events() {
		info := EventInfo{Time: ev.Time, Kind: ev.Kind.String(), Reason: ev.Reason}
		if ev.Dest != (transport.Dest{}) {
			info.Dest = ev.Dest.String()
		}
		if ev.WireID != 0 {
			info.Wire = fmt.Sprintf("%s %d", ev.WireKind, ev.WireID)
		}
		if ev.State != 0 {
			info.State = ev.State.String()
		}
		if ev.Err != nil {
			info.Err = ev.Err.Error()
			info.Summary, info.Outcome = Describe(ev.Err)
		}
		r.mu.Lock()
		r.missed += ev.Missed
		r.ring[r.next] = info
		r.next = (r.next + 1) % len(r.ring)
		if r.next == 0 {
			r.full = true
		}
		r.mu.Unlock()
	}
}

// Events returns the recorded events, oldest first, and how many the
// recorder missed because its subscription's buffer was full.
func (r *Recorder) Events() ([]EventInfo, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []EventInfo
	if r.full {
		out = append(out, r.ring[r.next:]...)
	}
	out = append(out, r.ring[:r.next]...)
	return out, r.missed
}

// Close stops recording.
func (r *Recorder) Close() {
	r.once.Do(func() {
		r.sub.Close()
		<-r.done
		r.rates.close()
	})
}
