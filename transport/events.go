package transport

import (
	"fmt"
	"sync"
	"time"
)

// EventKind says what happened.
type EventKind uint8

const (
	// EventTransportCreated: a DestTransport was installed for a destination.
	EventTransportCreated EventKind = iota + 1
	// EventTransportRemoved: a DestTransport was removed (closed, all wires
	// failed, or reaped by the health checker; Reason says which).
	EventTransportRemoved
	// EventDialFailed: the builder failed for a destination.
	EventDialFailed
	// EventWireStateChanged: a wire moved to State.
	EventWireStateChanged
	// EventConnectAttemptFailed: one connect attempt of a wire failed; a retry may follow.
	EventConnectAttemptFailed
	// EventWireAdopted: a wire accepted from outside joined a destination's pool.
	EventWireAdopted
	// EventReconnectStarted: the health checker asked for new wires of failed kinds.
	EventReconnectStarted
	// EventLaneClosed: a lane reported closed and was refreshed.
	EventLaneClosed
	// EventDataChannelClosed: a wire's data channel closed (emitted by wires).
	EventDataChannelClosed
	// EventConnectionClosed: a wire's underlying connection closed (emitted by wires).
	EventConnectionClosed
	// EventICERestartStarted: a WebRTC wire began an ICE restart (emitted by wires).
	EventICERestartStarted
	// EventICERestartCompleted: a WebRTC wire finished an ICE restart (Err set on failure).
	EventICERestartCompleted
)

var eventKindNames = [...]string{
	EventTransportCreated:     "transport-created",
	EventTransportRemoved:     "transport-removed",
	EventDialFailed:           "dial-failed",
	EventWireStateChanged:     "wire-state-changed",
	EventConnectAttemptFailed: "connect-attempt-failed",
	EventWireAdopted:          "wire-adopted",
	EventReconnectStarted:     "reconnect-started",
	EventLaneClosed:           "lane-closed",
	EventDataChannelClosed:    "data-channel-closed",
	EventConnectionClosed:     "connection-closed",
	EventICERestartStarted:    "ice-restart-started",
	EventICERestartCompleted:  "ice-restart-completed",
}

func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && eventKindNames[k] != "" {
		return eventKindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Event is one connection event. Fields that do not apply are zero.
type Event struct {
	Kind        EventKind
	Time        time.Time
	Dest        Dest
	TransportID TransportID
	WireID      WireID
	WireKind    WireKind
	State       WireState // for EventWireStateChanged
	Reason      string    // human-readable detail
	Err         error
	// Missed is how many events this subscriber lost, because its buffer
	// was full, immediately before this one.
	Missed uint64
}

func (e Event) String() string {
	s := fmt.Sprintf("%s %s", e.Kind, e.Dest)
	if e.WireID != 0 {
		s += fmt.Sprintf(" wire=%d/%s", e.WireID, e.WireKind)
	}
	if e.State != 0 {
		s += " state=" + e.State.String()
	}
	if e.Reason != "" {
		s += " reason=" + e.Reason
	}
	if e.Err != nil {
		s += " err=" + e.Err.Error()
	}
	return s
}

// EventBus fans events out to any number of subscribers. Publishing never
// blocks: a subscriber whose buffer is full loses the event, and the next
// event it does receive says how many it missed (Event.Missed).
type EventBus struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
	now    func() time.Time
}

// NewEventBus returns an empty bus.
func NewEventBus() *EventBus {
	return &EventBus{subs: make(map[*Subscription]struct{}), now: time.Now}
}

// Subscription receives events from an EventBus.
type Subscription struct {
	bus    *EventBus
	ch     chan Event
	missed uint64 // guarded by bus.mu
	total  uint64 // guarded by bus.mu
	closed bool   // guarded by bus.mu
}

// Subscribe returns a subscription whose channel buffers up to buffer events
// (at least 1). Call Close when done. If the bus is already closed the
// subscription's channel is closed at once.
func (b *EventBus) Subscribe(buffer int) *Subscription {
	if buffer < 1 {
		buffer = 1
	}
	s := &Subscription{bus: b, ch: make(chan Event, buffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.closed = true
		close(s.ch)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Events returns the channel of events. It is closed when the subscription
// or the bus is closed.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Dropped reports how many events this subscription has lost in total.
func (s *Subscription) Dropped() uint64 {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	return s.total
}

// Close ends the subscription and closes its channel.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if !s.closed {
		s.closed = true
		delete(s.bus.subs, s)
		close(s.ch)
	}
}

// Publish delivers ev to every subscriber without blocking. A zero Time is
// set to now.
func (b *EventBus) Publish(ev Event) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || len(b.subs) == 0 {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = b.now()
	}
	for s := range b.subs {
		ev.Missed = s.missed
		select {
		case s.ch <- ev: // never blocks: buffered, and full falls through
			s.missed = 0
		default:
			s.missed++
			s.total++
		}
	}
}

// Close closes every subscription; later Publish calls do nothing.
func (b *EventBus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	b.closed = true
	for s := range b.subs {
		s.closed = true
		close(s.ch)
	}
	clear(b.subs)
}
