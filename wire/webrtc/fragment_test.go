package webrtc

import (
	"bytes"
	"errors"
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

// FuzzReassembly feeds arbitrary data channel messages to the reassembler.
// It must never panic, never return a message bigger than its maximum,
// and a message it returns must be exactly what well-formed fragments
// carried.
func FuzzReassembly(f *testing.F) {
	f.Add(appendFragment(nil, 1, 0, 1, []byte("hello")), []byte{}, uint8(1))
	f.Add(appendFragment(nil, 7, 0, 2, make([]byte, MaxChunkSize)), appendFragment(nil, 7, 1, 2, []byte("tail")), uint8(2))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0}, []byte{1, 2, 3}, uint8(3))
	f.Add(appendFragment(nil, 3, 1, 2, []byte("x")), appendFragment(nil, 3, 0, 2, []byte("y")), uint8(4))
	f.Fuzz(func(t *testing.T, a, b []byte, rounds uint8) {
		const max = 4 * MaxChunkSize
		r := newReassembler(max, time.Second)
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
			now = now.Add(300 * time.Millisecond)
		}
	})
}
