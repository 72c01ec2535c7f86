package websocket

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"sync"

	"github.com/actr-go/actr/protocol"
)

// Our own frame writer. coder/websocket writes every message through its
// own bufio.Writer and flushes it at the end of each message: one write
// syscall per message, whatever is queued behind it, and a client masks
// its payload through that 4 KiB buffer (17 writes for 64 KiB; issue 22).
// Its API offers no way to put several messages into one write. So data
// frames are written here, straight to the TCP (or TLS) connection under
// the library, which still reads, answers pings and writes control frames
// (ping, pong, close). The two writers share the connection safely because
// each Write call on it is atomic (net.TCPConn and tls.Conn hold a write
// lock for the whole call) and every call here carries whole WebSocket
// frames only, as the library's control frames are always one whole frame
// per call: control frames may come between any two frames, even between
// the fragments of a message (RFC 6455 §5.4). A connection of another type
// keeps the library's writer.

// wsHeaderMax is the largest WebSocket frame header: 2 bytes, an 8-byte
// length and a 4-byte mask key.
const wsHeaderMax = 14

// WebSocket opcodes.
const (
	opContinuation = 0x0
	opBinary       = 0x2
)

// writeBufSize is the size of a pooled write buffer: a batch of frames, or
// a fragment of a large one, is at most this long (a masked client frame
// is copied in as it is masked; a large payload is written in pieces of
// about this size, each a fragment, so the stall watchdog sees progress).
const writeBufSize = writeChunk

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, writeBufSize); return &b }}

// atomicWriter reports whether concurrent Write calls on nc never
// interleave their bytes, which writing beside the library needs.
func atomicWriter(nc net.Conn) bool {
	switch v := nc.(type) {
	case *net.TCPConn, *net.UnixConn, *tls.Conn:
		return true
	case *gateConn:
		return atomicWriter(v.Conn)
	case *recordingConn:
		return atomicWriter(v.Conn)
	}
	return false
}

// appendWSHeader appends a WebSocket frame header for n payload bytes; a
// client's is masked, with a fresh key returned.
func appendWSHeader(b []byte, fin bool, op byte, n int, client bool) ([]byte, [4]byte) {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	var mask byte
	if client {
		mask = 0x80
	}
	switch {
	case n < 126:
		b = append(b, b0, mask|byte(n))
	case n <= 0xffff:
		b = append(b, b0, mask|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, b0, mask|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	var key [4]byte
	if client {
		// A key from the OS's entropy, as RFC 6455 §5.3 wants (a vDSO
		// call on current Linux, not a syscall).
		_, _ = rand.Read(key[:])
		b = append(b, key[:]...)
	}
	return b, key
}

// maskBytes XORs b with key, as a masked frame's payload from its start.
func maskBytes(key [4]byte, b []byte) {
	k := uint64(binary.LittleEndian.Uint32(key[:]))
	k |= k << 32
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// frameWriter assembles WebSocket frames carrying actr frames in buf and
// writes them, as few Write calls as buf's capacity allows.
type frameWriter struct {
	w        io.Writer
	client   bool
	buf      []byte
	progress func() // after each Write that took bytes
	// written counts the bytes the connection took, including those of a
	// Write that failed part way: a frame whose last byte is within it
	// was handed to the kernel whole.
	written int64
}

// end is the stream offset just past what has been added so far.
func (fw *frameWriter) end() int64 { return fw.written + int64(len(fw.buf)) }

// add appends one actr frame as one WebSocket binary message; if it does
// not fit in buf, what is buffered is written first, and a message larger
// than buf goes as fragments, each written as it is made.
func (fw *frameWriter) add(pt protocol.PayloadType, data []byte) error {
	n := HeaderSize + len(data)
	limit := cap(fw.buf)
	if len(fw.buf) > 0 && len(fw.buf)+wsHeaderMax+n > limit {
		if err := fw.flush(); err != nil {
			return err
		}
	}
	if wsHeaderMax+n <= limit {
		b, key := appendWSHeader(fw.buf, true, opBinary, n, fw.client)
		start := len(b)
		b = AppendFrame(b, pt, data)
		if fw.client {
			maskBytes(key, b[start:])
		}
		fw.buf = b
		return nil
	}
	var hdr [HeaderSize]byte
	AppendHeader(hdr[:0], pt, len(data))
	op := byte(opBinary)
	for off := 0; off < n; {
		m := min(n-off, limit-wsHeaderMax)
		b, key := appendWSHeader(fw.buf[:0], off+m == n, op, m, fw.client)
		start := len(b)
		end := off + m
		if off < HeaderSize {
			b = append(b, hdr[off:min(HeaderSize, end)]...)
		}
		if end > HeaderSize {
			b = append(b, data[max(off, HeaderSize)-HeaderSize:end-HeaderSize]...)
		}
		if fw.client {
			maskBytes(key, b[start:])
		}
		fw.buf = b
		if err := fw.flush(); err != nil {
			return err
		}
		off, op = end, opContinuation
	}
	return nil
}

// flush writes what is buffered, in one Write.
func (fw *frameWriter) flush() error {
	if len(fw.buf) == 0 {
		return nil
	}
	n, err := fw.w.Write(fw.buf)
	fw.written += int64(n)
	fw.buf = fw.buf[:0]
	if err == nil && fw.progress != nil {
		fw.progress()
	}
	return err
}
