package websocket

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/actr-go/actr/protocol"
)

// HeaderSize is the size of a frame header: payload type and length.
const HeaderSize = 5

// DefaultMaxMessageSize is the default bound on a frame's payload.
const DefaultMaxMessageSize = 16 << 20

// Frame errors. A *FrameError wraps one of them.
var (
	ErrFrameShort       = errors.New("websocket: frame shorter than its 5-byte header")
	ErrFrameLength      = errors.New("websocket: frame length disagrees with the message")
	ErrFrameTooLarge    = errors.New("websocket: frame over the maximum message size")
	ErrFrameUnknownType = errors.New("websocket: frame of a payload type without a data lane")
	ErrFrameText        = errors.New("websocket: text message where binary frames are expected")
)

// FrameError describes a frame that was refused.
type FrameError struct {
	Err      error // one of the ErrFrame sentinels
	Type     byte  // the payload type byte, when the header was complete
	Declared int64 // the length the header declared, when complete
	Size     int64 // bytes in the message, when known (-1 otherwise)
}

func (e *FrameError) Error() string {
	switch {
	case errors.Is(e.Err, ErrFrameShort):
		return fmt.Sprintf("%v (%d bytes)", e.Err, e.Size)
	case errors.Is(e.Err, ErrFrameLength):
		return fmt.Sprintf("%v (header says %d payload bytes, message has %d)", e.Err, e.Declared, e.Size)
	case errors.Is(e.Err, ErrFrameTooLarge):
		return fmt.Sprintf("%v (header says %d payload bytes)", e.Err, e.Declared)
	case errors.Is(e.Err, ErrFrameUnknownType):
		return fmt.Sprintf("%v (type %d)", e.Err, e.Type)
	}
	return e.Err.Error()
}

func (e *FrameError) Unwrap() error { return e.Err }

// AppendHeader appends the header of a frame carrying n payload bytes.
func AppendHeader(b []byte, pt protocol.PayloadType, n int) []byte {
	return binary.BigEndian.AppendUint32(append(b, byte(pt)), uint32(n))
}

// AppendFrame appends a whole frame.
func AppendFrame(b []byte, pt protocol.PayloadType, payload []byte) []byte {
	return append(AppendHeader(b, pt, len(payload)), payload...)
}

// ParseHeader checks a frame header against the maximum payload size and
// returns the payload type and declared length. It accepts only the types
// that have a data lane.
func ParseHeader(h []byte, max int) (protocol.PayloadType, int, error) {
	if len(h) < HeaderSize {
		return 0, 0, &FrameError{Err: ErrFrameShort, Size: int64(len(h))}
	}
	n := int64(binary.BigEndian.Uint32(h[1:5]))
	pt := protocol.PayloadType(h[0])
	if !pt.IsData() {
		return 0, 0, &FrameError{Err: ErrFrameUnknownType, Type: h[0], Declared: n, Size: -1}
	}
	if n > int64(max) {
		return 0, 0, &FrameError{Err: ErrFrameTooLarge, Type: h[0], Declared: n, Size: -1}
	}
	return pt, int(n), nil
}

// DecodeFrame decodes one whole message. The payload aliases msg.
func DecodeFrame(msg []byte, max int) (protocol.PayloadType, []byte, error) {
	pt, n, err := ParseHeader(msg, max)
	if err != nil {
		var fe *FrameError
		if errors.As(err, &fe) && fe.Size < 0 {
			fe.Size = int64(len(msg))
		}
		return 0, nil, err
	}
	if len(msg)-HeaderSize != n {
		return 0, nil, &FrameError{Err: ErrFrameLength, Type: msg[0], Declared: int64(n), Size: int64(len(msg) - HeaderSize)}
	}
	return pt, msg[HeaderSize:], nil
}
