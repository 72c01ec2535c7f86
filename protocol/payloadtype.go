package protocol

import (
	"errors"
	"fmt"
)

// Short names for the [PayloadType] values.
const (
	RPCReliable        = PayloadType_RPC_RELIABLE
	RPCSignal          = PayloadType_RPC_SIGNAL
	StreamReliable     = PayloadType_STREAM_RELIABLE
	StreamLatencyFirst = PayloadType_STREAM_LATENCY_FIRST
	MediaRTP           = PayloadType_MEDIA_RTP
)

// MaxPayloadType is the largest defined [PayloadType].
const MaxPayloadType = MediaRTP

// PayloadTypeCount is the number of defined [PayloadType] values; they are
// exactly 0 through PayloadTypeCount-1, so an array of this length can be
// indexed by any valid PayloadType. It is an untyped constant so that it
// serves both as an array length and in comparisons such as
// int(pt) < PayloadTypeCount.
const PayloadTypeCount = 5

// ErrUnknownPayloadType is returned, wrapped, by [ParsePayloadType].
var ErrUnknownPayloadType = errors.New("protocol: unknown payload type")

// ParsePayloadType returns the PayloadType named s, which is an enum name as
// written in actr.proto, matched ignoring ASCII case and with '-' accepted for
// '_': "RPC_RELIABLE", "rpc_reliable" and "rpc-reliable" all name
// [RPCReliable]. Errors wrap [ErrUnknownPayloadType].
func ParsePayloadType(s string) (PayloadType, error) {
	if len(s) <= 32 { // longer than any name; skip the copy for junk input
		b := make([]byte, len(s))
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			case c == '-':
				c = '_'
			}
			b[i] = c
		}
		if v, ok := PayloadType_value[string(b)]; ok {
			return PayloadType(v), nil
		}
	}
	if len(s) > maxQuoted {
		s = s[:maxQuoted] + "…"
	}
	return 0, fmt.Errorf("%w %q", ErrUnknownPayloadType, s)
}

// DataPayloadTypes returns the payload types that travel on data lanes, in
// value order: every type but [MediaRTP], which is carried by media tracks.
// The slice is newly allocated; callers may modify it.
func DataPayloadTypes() []PayloadType {
	return []PayloadType{RPCReliable, RPCSignal, StreamReliable, StreamLatencyFirst}
}

// IsData reports whether pt is a defined payload type that travels on data
// lanes (see [DataPayloadTypes]).
func (pt PayloadType) IsData() bool {
	return pt >= RPCReliable && pt <= StreamLatencyFirst
}
