package websocket

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/coder/websocket"
)

// recordingControl records the control frames a frameReader hands over.
type recordingControl struct{ pings, pongs, closes int }

func (r *recordingControl) ping([]byte) error { r.pings++; return nil }
func (r *recordingControl) pong([]byte)       { r.pongs++ }
func (r *recordingControl) close(p []byte) error {
	r.closes++
	code, reason, err := parseClose(p)
	if err != nil {
		return err
	}
	return websocket.CloseError{Code: code, Reason: reason}
}

// wsFrame builds one WebSocket frame, masked with key when masked.
func wsFrame(fin bool, op byte, payload []byte, masked bool) []byte {
	b, key := appendWSHeader(nil, fin, op, len(payload), masked)
	start := len(b)
	b = append(b, payload...)
	if masked {
		maskBytes(key, b[start:])
	}
	return b
}

// FuzzFrameReader feeds arbitrary bytes to the reader a gate uses on a
// client's connection (frames must be masked) and to a client's: it must
// never panic, never hand back more of a message than the limit, and
// every error must be a protocol error, a close, or the end of the bytes.
func FuzzFrameReader(f *testing.F) {
	hello := AppendFrame(nil, 0, []byte("hello"))
	f.Add(wsFrame(true, opBinary, hello, true), true)
	f.Add(wsFrame(true, opBinary, hello, false), false)
	f.Add(append(wsFrame(false, opBinary, hello[:3], true), wsFrame(true, opContinuation, hello[3:], true)...), true)
	f.Add(append(append(wsFrame(false, opBinary, hello[:2], true), wsFrame(true, opPing, []byte("p"), true)...), wsFrame(true, opContinuation, hello[2:], true)...), true)
	f.Add(wsFrame(true, opClose, binary.BigEndian.AppendUint16(nil, 1000), true), true)
	f.Add(wsFrame(true, opClose, []byte{3}, true), true)
	f.Add(wsFrame(true, opBinary, hello, false), true)          // unmasked from a client
	f.Add(wsFrame(false, opPing, []byte("x"), true), true)      // fragmented control
	f.Add(wsFrame(true, opPing, make([]byte, 126), true), true) // oversize control
	f.Add(wsFrame(true, opBinary, make([]byte, 70000), false), false)
	f.Add([]byte{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, true) // top length bit
	f.Add([]byte{0xc2, 0x80, 1, 2, 3, 4}, true)                            // RSV1
	f.Add([]byte{0x83, 0x80, 1, 2, 3, 4}, true)                            // reserved opcode
	f.Add([]byte{0x80, 0x80, 1, 2, 3, 4}, true)                            // continuation first
	f.Fuzz(func(t *testing.T, data []byte, server bool) {
		const limit = 1 << 10
		ctl := &recordingControl{}
		fr := newFrameReader(bytes.NewReader(data), server, limit, ctl)
		defer fr.release()
		for range 1000 {
			_, err := fr.next()
			if err == nil {
				var n int64
				n, err = io.Copy(io.Discard, fr)
				if n > limit {
					t.Fatalf("read %d bytes of one message, limit %d", n, limit)
				}
				if err == nil {
					continue
				}
			}
			var pe *protocolError
			var ce websocket.CloseError
			if !errors.As(err, &pe) && !errors.As(err, &ce) && !errors.Is(err, errConnEnded) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
	})
}

// The reader takes a message split across reads, fragments and a ping
// between them; unmasks it; and answers the close frame.
func TestFrameReaderFragmentsAndControl(t *testing.T) {
	msg := AppendFrame(nil, 2, bytes.Repeat([]byte("0123456789"), 1000))
	var in []byte
	in = append(in, wsFrame(false, opBinary, msg[:7], true)...)
	in = append(in, wsFrame(true, opPing, []byte("hi"), true)...)
	in = append(in, wsFrame(false, opContinuation, msg[7:5000], true)...)
	in = append(in, wsFrame(true, opContinuation, msg[5000:], true)...)
	in = append(in, wsFrame(true, opClose, binary.BigEndian.AppendUint16(nil, 1001), true)...)
	ctl := &recordingControl{}
	fr := newFrameReader(iotestOneByte(in), true, 1<<20, ctl)
	typ, err := fr.next()
	if err != nil || typ != websocket.MessageBinary {
		t.Fatalf("next: %v %v", typ, err)
	}
	got, err := io.ReadAll(fr)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("message: %d bytes, %v", len(got), err)
	}
	if _, err := fr.next(); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("after the message: %v, want the peer's close 1001", err)
	}
	if ctl.pings != 1 || ctl.closes != 1 {
		t.Fatalf("pings %d closes %d", ctl.pings, ctl.closes)
	}
}

// iotestOneByte returns a reader that gives b a byte or a few at a time.
func iotestOneByte(b []byte) io.Reader { return &trickle{b: b} }

type trickle struct {
	b []byte
	i int
}

func (t *trickle) Read(p []byte) (int, error) {
	if len(t.b) == 0 {
		return 0, io.EOF
	}
	t.i++
	n := min(len(p), len(t.b), 1+t.i%7)
	copy(p, t.b[:n])
	t.b = t.b[n:]
	return n, nil
}

// A message over the limit is read up to the limit and then refused with
// 1009, as the library did.
func TestFrameReaderLimit(t *testing.T) {
	fr := newFrameReader(bytes.NewReader(wsFrame(true, opBinary, make([]byte, 2000), false)), false, 1000, &recordingControl{})
	if _, err := fr.next(); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, fr)
	var pe *protocolError
	if n != 1000 || !errors.As(err, &pe) || pe.code != websocket.StatusMessageTooBig {
		t.Fatalf("read %d, %v", n, err)
	}
}

func TestHeadEnd(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", 56},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x82\x01", 56},
		{"HTTP/1.1 101 x\n\nabc", 16},
		{"HTTP/1.1 101 x\r\nA: b\r\n", -1},
	} {
		if got := headEnd([]byte(tc.in)); got != tc.want {
			t.Errorf("headEnd(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
