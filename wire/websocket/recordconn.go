package websocket

import (
	"bytes"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// recordingConn is a dialled TCP connection that keeps a copy of what it
// reads until the WebSocket handshake is done. net/http reads the
// handshake's response through a buffer of its own, and may so take the
// first frames too, when they come in the same read; the copy gives them
// back to our reader (afterHandshake).
type recordingConn struct {
	net.Conn
	recording atomic.Bool
	mu        sync.Mutex
	rec       []byte
	overflow  bool
}

// maxRecord bounds the copy: a response's head longer than this leaves
// the connection to the library's reader.
const maxRecord = 16 << 10

func (rc *recordingConn) Read(p []byte) (int, error) {
	n, err := rc.Conn.Read(p)
	if rc.recording.Load() {
		rc.mu.Lock()
		if len(rc.rec)+n <= maxRecord {
			rc.rec = append(rc.rec, p[:n]...)
		} else {
			rc.overflow = true
		}
		rc.mu.Unlock()
	}
	return n, err
}

// afterHandshake stops the copy and returns a reader of the connection's
// bytes from the end of the handshake's 101 response on: what was read
// past it, then the connection. ok is false, and src nil, when that cannot
// be told (the copy overflowed, or it does not hold one 101 response).
func (rc *recordingConn) afterHandshake() (src io.Reader, ok bool) {
	rc.recording.Store(false)
	rc.mu.Lock()
	rec, overflow := rc.rec, rc.overflow
	rc.rec = nil
	rc.mu.Unlock()
	if overflow || !bytes.HasPrefix(rec, []byte("HTTP/1.1 101 ")) {
		return nil, false
	}
	end := headEnd(rec)
	if end < 0 {
		return nil, false
	}
	if end == len(rec) {
		return rc.Conn, true
	}
	return io.MultiReader(bytes.NewReader(bytes.Clone(rec[end:])), rc.Conn), true
}

// headEnd returns the offset just past an HTTP head's empty line (lines
// end in LF, CR optional, as net/http reads them), or -1.
func headEnd(b []byte) int {
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		line := b[i : i+j]
		i += j + 1
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return i
		}
	}
	return -1
}
