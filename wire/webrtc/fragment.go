package webrtc

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Every data channel message carries a fragment header:
//
//	[message id: u32][index: u16][total: u16][chunk]   (big-endian)
//
// A message that fits in one data channel message is one fragment
// (index 0, total 1). Bigger messages are split into chunks of at most
// MaxChunkSize bytes on the reliable lanes, and refused on the
// latency-first lane (a lost fragment there would park the rest of the
// message: DESIGN F13).
const (
	// FragmentHeaderSize is the size of the fragment header.
	FragmentHeaderSize = 8
	// MaxChannelMessage is the largest data channel message sent or
	// accepted, header included.
	MaxChannelMessage = 65535
	// MaxChunkSize is the largest chunk of a message in one fragment.
	MaxChunkSize = MaxChannelMessage - FragmentHeaderSize
)

// ErrBadFragment: a data channel message that is not a well-formed
// fragment, or a fragment that does not continue its message.
var ErrBadFragment = errors.New("webrtc: malformed fragment")

// fragment is one parsed data channel message.
type fragment struct {
	msgID uint32
	index uint16
	total uint16
	chunk []byte // aliases the message read
}

// appendFragment appends one fragment to dst.
func appendFragment(dst []byte, msgID uint32, index, total uint16, chunk []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, msgID)
	dst = binary.BigEndian.AppendUint16(dst, index)
	dst = binary.BigEndian.AppendUint16(dst, total)
	return append(dst, chunk...)
}

// parseFragment checks a data channel message's header.
func parseFragment(b []byte) (fragment, error) {
	if len(b) < FragmentHeaderSize {
		return fragment{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrBadFragment, len(b), FragmentHeaderSize)
	}
	if len(b) > MaxChannelMessage {
		return fragment{}, fmt.Errorf("%w: %d bytes, over the %d-byte limit", ErrBadFragment, len(b), MaxChannelMessage)
	}
	f := fragment{
		msgID: binary.BigEndian.Uint32(b),
		index: binary.BigEndian.Uint16(b[4:]),
		total: binary.BigEndian.Uint16(b[6:]),
		chunk: b[FragmentHeaderSize:],
	}
	switch {
	case f.total == 0:
		return fragment{}, fmt.Errorf("%w: total of 0 fragments", ErrBadFragment)
	case f.index >= f.total:
		return fragment{}, fmt.Errorf("%w: fragment %d of %d", ErrBadFragment, f.index, f.total)
	case f.index < f.total-1 && len(f.chunk) != MaxChunkSize:
		// Only the last fragment may be short: this bounds a message's
		// size by its fragment count, checked on the first fragment.
		return fragment{}, fmt.Errorf("%w: fragment %d of %d carries %d bytes, not %d", ErrBadFragment, f.index, f.total, len(f.chunk), MaxChunkSize)
	}
	return f, nil
}

// fragmentCount is how many fragments a message of n bytes takes.
func fragmentCount(n int) int {
	if n == 0 {
		return 1
	}
	return (n + MaxChunkSize - 1) / MaxChunkSize
}
