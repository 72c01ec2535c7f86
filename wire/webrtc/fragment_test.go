package webrtc

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// fragments splits msg the way a lane does.
func fragments(msgID uint32, msg []byte) [][]byte {
	total := fragmentCount(len(msg))
	out := make([][]byte, 0, total)
	for i := range total {
		chunk := msg[i*MaxChunkSize : min(len(msg), (i+1)*MaxChunkSize)]
		out = append(out, appendFragment(nil, msgID, uint16(i), uint16(total), chunk))
	}
	return out
}

func TestReassemblyRoundTrips(t *testing.T) {
	now := time.Unix(0, 0)
	r := newReassembler(1<<22, time.Second)
	for _, n := range []int{0, 1, MaxChunkSize - 1, MaxChunkSize, MaxChunkSize + 1, 3*MaxChunkSize + 7, 4 << 20} {
		msg := make([]byte, n)
		for i := range msg {
			msg[i] = byte(i*7 + n)
		}
		frs := fragments(uint32(n), msg)
		for i, f := range frs {
			if len(f) > MaxChannelMessage {
				t.Fatalf("%d bytes: fragment of %d bytes", n, len(f))
			}
			got, err := r.add(f, now)
			if err != nil {
				t.Fatalf("%d bytes, fragment %d: %v", n, i, err)
			}
			if last := i == len(frs)-1; (got != nil) != last {
				t.Fatalf("%d bytes: message returned at fragment %d of %d", n, i, len(frs))
			}
			if i == len(frs)-1 && !bytes.Equal(got, msg) {
				t.Fatalf("%d bytes: reassembled message differs", n)
			}
		}
		if r.pending() {
			t.Fatalf("%d bytes: still pending", n)
		}
	}
}

func TestReassemblyRefusesBrokenStreams(t *testing.T) {
	now := time.Unix(0, 0)
	big := make([]byte, 3*MaxChunkSize)
	frs := fragments(1, big)
	other := fragments(2, big)
	for _, tc := range []struct {
		name string
		in   [][]byte
		max  int
	}{
		{"short header", [][]byte{{0, 0, 0, 1}}, 1 << 20},
		{"total zero", [][]byte{appendFragment(nil, 1, 0, 0, nil)}, 1 << 20},
		{"index past total", [][]byte{appendFragment(nil, 1, 2, 2, nil)}, 1 << 20},
		{"starts mid-message", [][]byte{frs[1]}, 1 << 20},
		{"skips a fragment", [][]byte{frs[0], frs[2]}, 1 << 20},
		{"interleaved messages", [][]byte{frs[0], other[1]}, 1 << 20},
		{"total changes", [][]byte{frs[0], appendFragment(nil, 1, 1, 4, big[:MaxChunkSize])}, 1 << 20},
		{"short middle fragment", [][]byte{frs[0], appendFragment(nil, 1, 1, 3, big[:10])}, 1 << 20},
		{"announces too much", [][]byte{frs[0]}, MaxChunkSize},
		{"oversize channel message", [][]byte{make([]byte, MaxChannelMessage+1)}, 1 << 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newReassembler(tc.max, time.Second)
			var err error
			for _, f := range tc.in {
				if _, err = r.add(f, now); err != nil {
					break
				}
			}
			if !errors.Is(err, ErrBadFragment) {
				t.Fatalf("err = %v, want ErrBadFragment", err)
			}
			if r.pending() {
				t.Fatal("still pending after an error")
			}
		})
	}
}

func TestReassemblyTimesOutStalledMessage(t *testing.T) {
	start := time.Unix(0, 0)
	r := newReassembler(1<<20, time.Second)
	frs := fragments(1, make([]byte, 2*MaxChunkSize))
	if _, err := r.add(frs[0], start); err != nil {
		t.Fatal(err)
	}
	if _, err := r.add(frs[1], start.Add(2*time.Second)); !errors.Is(err, ErrBadFragment) {
		t.Fatalf("a fragment after the deadline: %v, want ErrBadFragment", err)
	}
	// The next message starts clean.
	msg := []byte("next")
	if got, err := r.add(fragments(2, msg)[0], start.Add(3*time.Second)); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("after a timeout: %q, %v", got, err)
	}
}

// TestHostileReassemblyByteBudgets: fragmented messages are charged, as
// their buffers grow, to the peer's and the process's budgets. A message
// that would go over either is dropped (ErrReassemblyBudget), its other
// fragments skipped, and the channel goes on; what a message held is given
// back when it completes, is dropped, or the reader ends. Nothing is
// allocated from the announced fragment count.
func TestHostileReassemblyByteBudgets(t *testing.T) {
	now := time.Unix(0, 0)
	const max = 16 * MaxChunkSize
	var peerA, peerB, all atomic.Int64
	newRA := func(peer *atomic.Int64, peerMax, allMax int64) *reassembler {
		r := newReassembler(max, time.Second)
		r.budget = &reassemblyBudget{peer: peer, all: &all, peerMax: peerMax, allMax: allMax}
		return r
	}
	// The peer's budget: 4 chunks. A 3-chunk message fits, an 8-chunk one
	// does not: dropped at the fragment that would pass the budget.
	a := newRA(&peerA, 4*MaxChunkSize+1, 64*MaxChunkSize)
	feed := func(r *reassembler, id uint32, n int) ([]byte, error) {
		var firstErr error
		var got []byte
		for _, f := range fragments(id, make([]byte, n)) {
			m, err := r.add(f, now)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if m != nil {
				got = m
			}
		}
		return got, firstErr
	}
	if m, err := feed(a, 1, 3*MaxChunkSize); err != nil || len(m) != 3*MaxChunkSize {
		t.Fatalf("a message within the budget: %d bytes, %v", len(m), err)
	}
	if m, err := feed(a, 2, 8*MaxChunkSize); !errors.Is(err, ErrReassemblyBudget) || m != nil {
		t.Fatalf("a message over the peer's budget: %d bytes, %v; want ErrReassemblyBudget", len(m), err)
	}
	if a.pending() || peerA.Load() > 4*MaxChannelMessage {
		t.Fatalf("after a dropped message: pending %v, %d bytes held", a.pending(), peerA.Load())
	}
	// The channel goes on: the next message arrives.
	if m, err := feed(a, 3, 2*MaxChunkSize+5); err != nil || len(m) != 2*MaxChunkSize+5 {
		t.Fatalf("after a dropped message: %d bytes, %v", len(m), err)
	}

	// The process's budget, shared: a second peer is refused what the
	// first holds.
	a.release()
	if n := peerA.Load(); n != 0 {
		t.Fatalf("%d bytes held by a released reassembler", n)
	}
	all.Store(0)
	x := newRA(&peerA, 64*MaxChunkSize, 6*MaxChunkSize)
	y := newRA(&peerB, 64*MaxChunkSize, 6*MaxChunkSize)
	xs, ys := fragments(4, make([]byte, 5*MaxChunkSize)), fragments(5, make([]byte, 5*MaxChunkSize))
	for i := range 4 { // x holds 4 chunks and grows to its doubling
		if _, err := x.add(xs[i], now); err != nil {
			t.Fatal(err)
		}
	}
	var yErr error
	for _, f := range ys {
		if _, err := y.add(f, now); err != nil && yErr == nil {
			yErr = err
		}
	}
	if !errors.Is(yErr, ErrReassemblyBudget) {
		t.Fatalf("a second peer over the process budget: %v, want ErrReassemblyBudget", yErr)
	}
	if got, err := x.add(xs[4], now); err != nil || len(got) != 5*MaxChunkSize {
		t.Fatalf("the first peer's message: %d bytes, %v", len(got), err)
	}
	x.release()
	y.release()
	if n := all.Load(); n != 0 {
		t.Fatalf("%d bytes still charged to the process after every reader ended", n)
	}

	// A first fragment announcing 65535 fragments allocates one chunk.
	z := newRA(&peerA, 64*MaxChunkSize, 64*MaxChunkSize)
	z.maxMessage = 1 << 33
	if _, err := z.add(appendFragment(nil, 9, 0, 0xffff, make([]byte, MaxChunkSize)), now); err != nil {
		t.Fatal(err)
	}
	if held := all.Load(); held > 2*MaxChunkSize {
		t.Fatalf("a first fragment announcing 65535 made %d bytes held", held)
	}
	z.release()
}

// FuzzReassembly feeds arbitrary data channel messages to the reassembler.
// It must never panic, never return a message bigger than its maximum,
// and a message it returns must be exactly what well-formed fragments
// carried.
func FuzzReassembly(f *testing.F) {
	f.Add(appendFragment(nil, 1, 0, 1, []byte("hello")), []byte{}, uint8(1))
	f.Add(appendFragment(nil, 7, 0, 2, make([]byte, MaxChunkSize)), appendFragment(nil, 7, 1, 2, []byte("tail")), uint8(2))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte{1, 2, 3}, uint8(3))
	f.Add(appendFragment(nil, 3, 1, 2, []byte("x")), appendFragment(nil, 3, 0, 2, []byte("y")), uint8(4))
	f.Add(appendFragment(nil, 5, 0, 4, make([]byte, MaxChunkSize)), appendFragment(nil, 5, 1, 4, make([]byte, MaxChunkSize)), uint8(7|0x80))
	f.Fuzz(func(t *testing.T, a, b []byte, rounds uint8) {
		const max = 4 * MaxChunkSize
		r := newReassembler(max, time.Second)
		// The high bit of rounds picks a budget smaller than a message.
		var peer, all atomic.Int64
		budget := int64(1 << 40)
		if rounds&0x80 != 0 {
			budget = 2 * MaxChunkSize
		}
		r.budget = &reassemblyBudget{peer: &peer, all: &all, peerMax: budget, allMax: budget}
		defer func() {
			r.release()
			if n := all.Load(); n != 0 || peer.Load() != 0 {
				t.Fatalf("%d bytes still charged after release", n)
			}
		}()
		now := time.Unix(0, 0)
		for i := range int(rounds%8) + 1 {
			in := a
			if i%2 == 1 {
				in = b
			}
			msg, err := r.add(in, now)
			if err != nil && msg != nil {
				t.Fatal("a message and an error")
			}
			if len(msg) > max {
				t.Fatalf("a %d-byte message over the %d maximum", len(msg), max)
			}
			if held := all.Load(); held > budget {
				t.Fatalf("%d bytes held over the %d budget", held, budget)
			}
			now = now.Add(300 * time.Millisecond)
		}
	})
}
