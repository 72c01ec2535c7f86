package transporttest

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// The delivery contract (README, "Delivery contract") as a checker: a
// sender numbers its messages with [SeqPayload]; the receiver hands every
// message to a [DeliveryLog], which verifies that each one is intact and
// that, per sender, payload type and stream, sequence numbers only go up
// (nothing duplicated, nothing reordered). Which numbers are missing is
// for the test to judge: a gap is allowed only where a connection died.

// seqHeader is stream (1) + seq (4) + crc32 of the rest (4).
const seqHeader = 9

// SeqPayload returns a message of size bytes (at least 9) carrying stream
// and seq, filled with bytes derived from both and checksummed, so that
// a corrupted, truncated or spliced message is detected.
func SeqPayload(stream uint8, seq uint32, size int) []byte {
	size = max(size, seqHeader)
	b := make([]byte, size)
	b[0] = stream
	binary.BigEndian.PutUint32(b[1:5], seq)
	x := seq*2654435761 + uint32(stream)
	for i := seqHeader; i < size; i++ {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	binary.BigEndian.PutUint32(b[5:9], crc32.ChecksumIEEE(b[seqHeader:]))
	return b
}

// ParseSeqPayload returns the stream and sequence number of a message made
// by [SeqPayload], or an error if it is not one, intact.
func ParseSeqPayload(b []byte) (stream uint8, seq uint32, err error) {
	if len(b) < seqHeader {
		return 0, 0, fmt.Errorf("%d bytes: shorter than a sequenced message", len(b))
	}
	stream, seq = b[0], binary.BigEndian.Uint32(b[1:5])
	if want := SeqPayload(stream, seq, len(b)); string(want) != string(b) {
		return stream, seq, fmt.Errorf("stream %d seq %d (%d bytes): contents corrupted", stream, seq, len(b))
	}
	return stream, seq, nil
}

// SeqKey names one ordered stream of messages.
type SeqKey struct {
	From   protocol.ActorID
	Type   protocol.PayloadType
	Stream uint8
}

// DeliveryLog records sequenced messages and the contract violations it
// sees. It is a [transport.Handler]; its zero value is not usable, use
// [NewDeliveryLog].
type DeliveryLog struct {
	// Unordered lists payload types whose order across messages is not
	// promised (STREAM_LATENCY_FIRST): only integrity and duplicates are
	// checked for them.
	unordered map[protocol.PayloadType]bool

	mu         sync.Mutex
	got        map[SeqKey]map[uint32]bool
	last       map[SeqKey]uint32
	total      int
	violations []string
	changed    chan struct{}
}

// NewDeliveryLog returns an empty log. Payload types listed in unordered
// are checked for integrity and duplicates only.
func NewDeliveryLog(unordered ...protocol.PayloadType) *DeliveryLog {
	l := &DeliveryLog{
		unordered: map[protocol.PayloadType]bool{},
		got:       map[SeqKey]map[uint32]bool{},
		last:      map[SeqKey]uint32{},
		changed:   make(chan struct{}),
	}
	for _, pt := range unordered {
		l.unordered[pt] = true
	}
	return l
}

// ServeMessage records m.
func (l *DeliveryLog) ServeMessage(_ context.Context, m transport.Message) { l.Record(m) }

// Record checks m against the contract and records it.
func (l *DeliveryLog) Record(m transport.Message) {
	stream, seq, err := ParseSeqPayload(m.Data)
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.signal()
	if err != nil {
		l.violations = append(l.violations, fmt.Sprintf("%s from %s over %s: %v", m.Type, m.From, m.Wire, err))
		return
	}
	k := SeqKey{From: m.From, Type: m.Type, Stream: stream}
	seen := l.got[k]
	if seen == nil {
		seen = map[uint32]bool{}
		l.got[k] = seen
	}
	switch {
	case seen[seq]:
		l.violations = append(l.violations, fmt.Sprintf("%s stream %d seq %d from %s: delivered twice (again over %s)", m.Type, stream, seq, m.From, m.Wire))
		return
	case !l.unordered[m.Type] && len(seen) > 0 && seq < l.last[k]:
		l.violations = append(l.violations, fmt.Sprintf("%s stream %d seq %d from %s over %s: arrived after seq %d", m.Type, stream, seq, m.From, m.Wire, l.last[k]))
	}
	seen[seq] = true
	l.last[k] = max(l.last[k], seq)
	l.total++
}

func (l *DeliveryLog) signal() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Violations returns what broke the contract so far.
func (l *DeliveryLog) Violations() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.violations...)
}

// Has reports whether message seq of stream k arrived.
func (l *DeliveryLog) Has(k SeqKey, seq uint32) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.got[k][seq]
}

// Count returns how many messages of stream k arrived.
func (l *DeliveryLog) Count(k SeqKey) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.got[k])
}

// Total returns how many intact messages arrived, over all streams.
func (l *DeliveryLog) Total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}

// WaitCount waits until n messages of stream k have arrived or ctx ends.
func (l *DeliveryLog) WaitCount(ctx context.Context, k SeqKey, n int) error {
	for {
		l.mu.Lock()
		have, ch := len(l.got[k]), l.changed
		l.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%s stream %d from %s: %d of %d messages arrived: %w", k.Type, k.Stream, k.From, have, n, ctx.Err())
		}
	}
}

// WaitFor waits until message seq of stream k has arrived or ctx ends.
func (l *DeliveryLog) WaitFor(ctx context.Context, k SeqKey, seq uint32) error {
	for {
		l.mu.Lock()
		ok, ch := l.got[k][seq], l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%s stream %d seq %d from %s never arrived (%d of the stream did): %w",
				k.Type, k.Stream, seq, k.From, l.Count(k), ctx.Err())
		}
	}
}
