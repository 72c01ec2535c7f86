package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/coder/websocket"
)

// Our own frame reader, the other half of framewriter.go. coder/websocket's
// reader takes its channel-based locks several times a message (a sixth of
// a receiver's CPU at 64 B, issue 22) and cannot hand a message's bytes to
// a buffer of ours. On a connection whose data frames we write ourselves we
// read ourselves too, from the bytes under the library: data messages, and
// the control frames a reader must answer (ping: pong; close: close). The
// library did the handshake and still closes the socket; it reads and
// writes nothing more there.
//
// Every length here is the peer's: a frame's length is only counted
// against the read limit, never allocated (the caller reads a message into
// a buffer that grows as bytes arrive); a control frame is at most 125
// bytes, read into a fixed array.

// More WebSocket opcodes (RFC 6455 §5.2).
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
	opPong  = 0xA
)

// maxControl is the largest control frame payload (RFC 6455 §5.5).
const maxControl = 125

// Read buffer sizes. A connection reads into a small buffer, and moves to a
// large pooled one while a read fills the buffer it has (more is waiting:
// a busy stream), back to the small one once a read brings less. An idle
// connection's reader, parked in a read, so holds smallRead bytes.
const (
	smallRead = 4 << 10
	largeRead = 64 << 10
)

var largeReads = sync.Pool{New: func() any { b := make([]byte, largeRead); return &b }}

// ErrPeerProtocol: the peer broke the WebSocket protocol (RFC 6455), e.g.
// an unmasked client frame, a reserved bit or opcode, a fragmented or
// oversize control frame. The connection is closed with a close code that
// says which (1002 protocol error, 1009 message too big).
var ErrPeerProtocol = errors.New("websocket: the peer broke the WebSocket protocol (RFC 6455)")

// protocolError is an ErrPeerProtocol with the close code to send.
type protocolError struct {
	code   websocket.StatusCode
	reason string
}

func (e *protocolError) Error() string { return ErrPeerProtocol.Error() + ": " + e.reason }
func (e *protocolError) Unwrap() error { return ErrPeerProtocol }

func protoErr(format string, a ...any) error {
	return &protocolError{code: websocket.StatusProtocolError, reason: fmt.Sprintf(format, a...)}
}

// errConnEnded: the connection ended without a close frame. It is never
// io.EOF itself, which the caller takes for the end of a message.
var errConnEnded = errors.New("websocket: the connection ended without a close frame")

// controlHandler answers the control frames the reader meets.
type controlHandler interface {
	ping(payload []byte) error
	pong(payload []byte)
	// close handles the peer's close frame; it returns the error that
	// ends reading (a websocket.CloseError).
	close(payload []byte) error
}

// frameReader reads the WebSocket messages of one connection. next starts
// a data message; Read reads its bytes until io.EOF. Control frames
// between (and inside) messages go to ctl as they come.
type frameReader struct {
	src    io.Reader
	server bool  // the peer is a client: its frames must be masked
	limit  int64 // the most bytes of one message
	ctl    controlHandler

	buf   []byte // buf[r:w] is read from src, not yet consumed
	r, w  int
	small []byte
	large *[]byte // pooled, while buf is it
	busy  bool    // the last read filled the buffer
	err   error   // src's error, once it gave one

	// The data message being read.
	inMsg  bool
	fin    bool  // its current frame is its last
	remain int64 // bytes of its current frame not yet read
	masked bool
	key    [4]byte
	kpos   int
	total  int64

	// closed: the peer's close frame was read.
	closed bool
	ctrl   [maxControl]byte
}

func newFrameReader(src io.Reader, server bool, limit int64, ctl controlHandler) *frameReader {
	return &frameReader{src: src, server: server, limit: limit, ctl: ctl}
}

// release gives the large buffer back; the reader is not used after.
func (fr *frameReader) release() {
	if fr.large != nil {
		largeReads.Put(fr.large)
		fr.large = nil
	}
	fr.buf, fr.small = nil, nil
}

// fill reads from src once, after what is buffered.
func (fr *frameReader) fill() error {
	if fr.err != nil {
		return fr.err
	}
	if fr.r == fr.w {
		fr.r, fr.w = 0, 0
		fr.pick()
	} else if fr.w == len(fr.buf) {
		fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
		fr.r = 0
	}
	for range 100 {
		n, err := fr.src.Read(fr.buf[fr.w:])
		fr.w += n
		if err != nil {
			fr.err = fmt.Errorf("%w: %w", errConnEnded, err)
			if n == 0 {
				return fr.err
			}
		}
		if n > 0 {
			fr.busy = fr.w == len(fr.buf)
			return nil
		}
	}
	fr.err = fmt.Errorf("%w: %w", errConnEnded, io.ErrNoProgress)
	return fr.err
}

// pick chooses the buffer for the next read, the current one being empty.
func (fr *frameReader) pick() {
	switch {
	case fr.busy && fr.large == nil:
		fr.large = largeReads.Get().(*[]byte)
		fr.buf = *fr.large
	case fr.busy:
	default:
		if fr.large != nil {
			largeReads.Put(fr.large)
			fr.large = nil
		}
		if fr.small == nil {
			fr.small = make([]byte, smallRead)
		}
		fr.buf = fr.small
	}
}

// need makes at least n bytes (n ≤ smallRead) buffered.
func (fr *frameReader) need(n int) error {
	for fr.w-fr.r < n {
		if fr.r > 0 && len(fr.buf)-fr.r < n {
			fr.w = copy(fr.buf, fr.buf[fr.r:fr.w])
			fr.r = 0
		}
		if err := fr.fill(); err != nil {
			return err
		}
	}
	return nil
}

// frameHeader is one WebSocket frame's header.
type frameHeader struct {
	fin    bool
	op     byte
	length int64
	masked bool
	key    [4]byte
}

// header reads the next frame's header and checks what does not depend
// on the message it belongs to.
func (fr *frameReader) header() (frameHeader, error) {
	var h frameHeader
	if err := fr.need(2); err != nil {
		return h, err
	}
	b0, b1 := fr.buf[fr.r], fr.buf[fr.r+1]
	n := 2
	switch b1 & 0x7f {
	case 126:
		n += 2
	case 127:
		n += 8
	}
	if b1&0x80 != 0 {
		n += 4
	}
	if err := fr.need(n); err != nil {
		return h, err
	}
	p := fr.buf[fr.r+2 : fr.r+n]
	fr.r += n
	h.fin, h.op, h.masked = b0&0x80 != 0, b0&0x0f, b1&0x80 != 0
	switch l := b1 & 0x7f; l {
	case 126:
		h.length, p = int64(binary.BigEndian.Uint16(p)), p[2:]
	case 127:
		u := binary.BigEndian.Uint64(p)
		if u>>63 != 0 {
			return h, protoErr("a frame length with its top bit set")
		}
		h.length, p = int64(u), p[8:]
	default:
		h.length = int64(l)
	}
	if h.masked {
		copy(h.key[:], p)
	}
	switch {
	case b0&0x70 != 0:
		return h, protoErr("reserved bits set in a frame header (no extension was negotiated)")
	case h.masked != fr.server && fr.server:
		return h, protoErr("an unmasked frame from a client")
	case h.masked != fr.server:
		return h, protoErr("a masked frame from a server")
	}
	return h, nil
}

// next reads up to the start of the next data message and returns its
// type; what is left of the previous one is skipped.
func (fr *frameReader) next() (websocket.MessageType, error) {
	if fr.inMsg {
		if _, err := io.Copy(io.Discard, fr); err != nil {
			return 0, err
		}
	}
	h, err := fr.dataHeader()
	if err != nil {
		return 0, err
	}
	typ := websocket.MessageBinary
	switch h.op {
	case opBinary:
	case opText:
		typ = websocket.MessageText
	case opContinuation:
		return 0, protoErr("a continuation frame with no message to continue")
	default:
		return 0, protoErr("reserved opcode %#x", h.op)
	}
	fr.inMsg, fr.total = true, 0
	if err := fr.frame(h); err != nil {
		return 0, err
	}
	return typ, nil
}

// dataHeader reads frame headers until a data frame's, handling the
// control frames before it.
func (fr *frameReader) dataHeader() (frameHeader, error) {
	for {
		h, err := fr.header()
		if err != nil || h.op < opClose {
			return h, err
		}
		if err := fr.control(h); err != nil {
			return h, err
		}
	}
}

// frame makes h the message's current frame.
func (fr *frameReader) frame(h frameHeader) error {
	fr.fin, fr.remain, fr.masked, fr.key, fr.kpos = h.fin, h.length, h.masked, h.key, 0
	return nil
}

// Read reads the current message's bytes; io.EOF at its end.
func (fr *frameReader) Read(p []byte) (int, error) {
	for fr.remain == 0 {
		if !fr.inMsg || fr.fin {
			fr.inMsg = false
			return 0, io.EOF
		}
		h, err := fr.dataHeader()
		if err != nil {
			return 0, err
		}
		if h.op != opContinuation {
			return 0, protoErr("a new message (opcode %#x) began inside a fragmented one", h.op)
		}
		if err := fr.frame(h); err != nil {
			return 0, err
		}
	}
	if len(p) == 0 {
		return 0, nil
	}
	if int64(len(p)) > fr.remain {
		p = p[:fr.remain]
	}
	// A message is read up to the limit, and fails past it, as with the
	// library: the caller has seen the start of it first.
	if fr.total >= fr.limit {
		return 0, &protocolError{code: websocket.StatusMessageTooBig, reason: fmt.Sprintf("a message over the read limit of %d bytes", fr.limit)}
	}
	if int64(len(p)) > fr.limit-fr.total {
		p = p[:fr.limit-fr.total]
	}
	var n int
	switch {
	case fr.r < fr.w:
		n = copy(p, fr.buf[fr.r:fr.w])
		fr.r += n
	case len(p) >= smallRead && fr.err == nil:
		// A large read, nothing buffered: straight into p.
		var err error
		n, err = fr.src.Read(p)
		if err != nil {
			fr.err = fmt.Errorf("%w: %w", errConnEnded, err)
			if n == 0 {
				return 0, fr.err
			}
		}
		fr.busy = n == len(p)
	default:
		if err := fr.fill(); err != nil {
			return 0, err
		}
		n = copy(p, fr.buf[fr.r:fr.w])
		fr.r += n
	}
	if fr.masked {
		fr.kpos = maskAt(fr.key, fr.kpos, p[:n])
	}
	fr.remain -= int64(n)
	fr.total += int64(n)
	return n, nil
}

// control reads and handles a control frame.
func (fr *frameReader) control(h frameHeader) error {
	if !h.fin {
		return protoErr("a fragmented control frame")
	}
	if h.length > maxControl {
		return protoErr("a control frame of %d bytes (at most %d)", h.length, maxControl)
	}
	p := fr.ctrl[:h.length]
	if err := fr.need(len(p)); err != nil {
		return err
	}
	fr.r += copy(p, fr.buf[fr.r:fr.w])
	if h.masked {
		maskAt(h.key, 0, p)
	}
	switch h.op {
	case opPing:
		return fr.ctl.ping(p)
	case opPong:
		fr.ctl.pong(p)
		return nil
	case opClose:
		fr.closed = true
		return fr.ctl.close(p)
	}
	return protoErr("reserved control opcode %#x", h.op)
}

// maskAt XORs b with key, b starting at offset pos of the masked payload;
// it returns the offset after b.
func maskAt(key [4]byte, pos int, b []byte) int {
	pos &= 3
	if pos != 0 {
		key = [4]byte{key[pos&3], key[(pos+1)&3], key[(pos+2)&3], key[(pos+3)&3]}
	}
	maskBytes(key, b)
	return pos + len(b)
}

// parseClose reads a close frame's payload (RFC 6455 §5.5.1, §7.4).
func parseClose(p []byte) (websocket.StatusCode, string, error) {
	switch len(p) {
	case 0:
		return websocket.StatusNoStatusRcvd, "", nil
	case 1:
		return 0, "", protoErr("a close frame of one byte")
	}
	code := websocket.StatusCode(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return 0, "", protoErr("close code %d may not be sent", code)
	}
	return code, string(p[2:]), nil
}

// validCloseCode: the codes a peer may put in a close frame.
func validCloseCode(c websocket.StatusCode) bool {
	switch {
	case c >= 1000 && c <= 1003, c >= 1007 && c <= 1014:
		return true
	case c >= 3000 && c <= 4999:
		return true
	}
	return false
}
