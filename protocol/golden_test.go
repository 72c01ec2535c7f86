package protocol_test

import (
	"encoding/hex"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
)

// The expected bytes below are built by hand from field numbers and wire
// types, independently of the protobuf library, so that a wrong field number
// or type in a .proto file shows up as a mismatch here. This file has the
// helpers and the first cases; golden_identity_test.go (actr.proto,
// webrtc.proto) and golden_signaling_test.go (signaling.proto) pin every
// message, fully populated, and TestGoldenCoversEveryMessage checks that.

const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

func varint(v uint64) []byte {
	var b []byte
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func tag(field, wireType int) []byte { return varint(uint64(field)<<3 | uint64(wireType)) }

func fVarint(field int, v uint64) []byte { return cat(tag(field, wireVarint), varint(v)) }

func fBytes(field int, b []byte) []byte {
	return cat(tag(field, wireBytes), varint(uint64(len(b))), b)
}

func fString(field int, s string) []byte { return fBytes(field, []byte(s)) }

// fInt64 is an int64 (not sint64) field: two's complement, so a negative
// value is a ten-byte varint.
func fInt64(field int, v int64) []byte { return fVarint(field, uint64(v)) }

func fBool(field int, v bool) []byte {
	if v {
		return fVarint(field, 1)
	}
	return fVarint(field, 0)
}

// fFixed32 and fFixed64 are little-endian, as the wire format has them.
func fFixed32(field int, v uint32) []byte {
	return cat(tag(field, wireFixed32), []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}

func fFixed64(field int, v uint64) []byte {
	return cat(tag(field, wireFixed64), []byte{
		byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24), byte(v >> 32), byte(v >> 40), byte(v >> 48), byte(v >> 56),
	})
}

func fFloat(field int, f float32) []byte  { return fFixed32(field, math.Float32bits(f)) }
func fDouble(field int, f float64) []byte { return fFixed64(field, math.Float64bits(f)) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func TestWireHelpers(t *testing.T) {
	for _, tc := range []struct {
		got  []byte
		want string
	}{
		{varint(0), "00"},
		{varint(127), "7f"},
		{varint(300), "ac02"},
		{tag(1, wireBytes), "0a"},
		{tag(102, wireBytes), "b206"}, // 102<<3|2 = 818
		{fVarint(104, 1500), "c006dc0b"},
		{fString(2, "hi"), "12026869"},
		{fInt64(5, -1), "28ffffffffffffffffff01"},
		{fBool(1, true), "0801"},
		{fFixed32(2, 0x3f400000), "150000403f"},
		{fFloat(2, 0.75), "150000403f"},
		{fFixed64(2, 1), "110100000000000000"},
		{fDouble(3, 1), "19000000000000f03f"},
		{fBytes(1, nil), "0a00"},
	} {
		if got := hex.EncodeToString(tc.got); got != tc.want {
			t.Errorf("helper = %s, want %s", got, tc.want)
		}
	}
}

// wantActrID is the encoding of acme:echo:1.0@1.42.
func wantActrID() []byte { return wantActrIDOf(1, 42, "acme", "echo", "1.0") }

// wantActrIDOf is the encoding of an ActrId with every field set, as
// ActorID.Proto makes it (an empty version is still sent: proto2 presence).
func wantActrIDOf(realm uint32, serial uint64, manufacturer, name, version string) []byte {
	return cat(
		fBytes(1, fVarint(1, uint64(realm))), // realm { realm_id }
		fVarint(2, serial),                   // serial_number
		fBytes(3, cat( // type
			fString(1, manufacturer), // manufacturer
			fString(2, name),         // name
			fString(3, version),      // version
		)),
	)
}

func checkGolden(t *testing.T, m proto.Message, want []byte) {
	t.Helper()
	got, err := deterministic.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("encoding of %s:\n got %x\nwant %x", m.ProtoReflect().Descriptor().FullName(), got, want)
	}
	back := m.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(want, back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(back, m) {
		t.Fatalf("decoding the expected bytes gave %v, want %v", back, m)
	}
}

func TestGoldenActrId(t *testing.T) {
	checkGolden(t, protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"}.Proto(), wantActrID())
	// Pin the layout of the helpers' output too, byte by byte.
	if got, want := hex.EncodeToString(wantActrID()), "0a020801102a1a110a0461636d6512046563686f1a03312e30"; got != want {
		t.Fatalf("hand-built ActrId = %s, want %s", got, want)
	}
}

func TestGoldenRpcEnvelope(t *testing.T) {
	env := &protocol.RpcEnvelope{
		RouteKey:  proto.String("echo.Echo/Say"),
		Payload:   []byte("hi"),
		Direction: protocol.RpcEnvelope_DIRECTION_REQUEST.Enum(),
		RequestId: proto.String("req-1"),
		Metadata:  []*protocol.MetadataEntry{{Key: proto.String("tenant"), Value: proto.String("t1")}},
		TimeoutMs: proto.Int64(1500),
	}
	want := cat(
		fString(1, "echo.Echo/Say"), // route_key
		fBytes(2, []byte("hi")),     // payload
		fVarint(4, 1),               // direction: REQUEST (actr's RpcEnvelope.4)
		fString(102, "req-1"),       // request_id
		fBytes(103, cat( // metadata
			fString(1, "tenant"), // key
			fString(2, "t1"),     // value
		)),
		fVarint(104, 1500), // timeout_ms
	)
	checkGolden(t, env, want)
}

// RpcEnvelope.direction's values are actr's: UNSPECIFIED 0, REQUEST 1,
// RESPONSE 2, TELL 3.
func TestGoldenRpcDirections(t *testing.T) {
	for d, want := range map[protocol.RpcEnvelope_Direction]uint64{
		protocol.RpcEnvelope_DIRECTION_UNSPECIFIED: 0, protocol.RpcEnvelope_DIRECTION_REQUEST: 1,
		protocol.RpcEnvelope_DIRECTION_RESPONSE: 2, protocol.RpcEnvelope_DIRECTION_TELL: 3,
	} {
		checkGolden(t, &protocol.RpcEnvelope{Direction: d.Enum()}, fVarint(4, want))
	}
}

// SessionDescription.sdp_exchange_id is actr's field 3.
func TestGoldenSessionDescription(t *testing.T) {
	sd := &protocol.SessionDescription{Type: protocol.SessionDescription_ANSWER.Enum(), Sdp: proto.String("v=0"),
		SdpExchangeId: proto.String("x1")}
	checkGolden(t, sd, cat(fVarint(1, 1), fString(2, "v=0"), fString(3, "x1")))
}

// ActrRelay.14 is actr's ice_restart_request {1: reason}.
func TestGoldenIceRestartRequest(t *testing.T) {
	r := &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceRestartRequest{IceRestartRequest: &protocol.IceRestartRequest{Reason: proto.String("gone")}}}
	checkGolden(t, r, fBytes(14, fString(1, "gone")))
}

func TestGoldenSignalingEnvelope(t *testing.T) {
	source := protocol.ActorID{Realm: 1, Serial: 42, Manufacturer: "acme", Name: "echo", Version: "1.0"}
	target := protocol.ActorID{Realm: 1, Serial: 7, Manufacturer: "acme", Name: "client"} // no version: sent empty
	env := &protocol.SignalingEnvelope{
		EnvelopeVersion: proto.Uint32(2),
		EnvelopeId:      proto.String("env-1"),
		Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
			Source: source.Proto(),
			Target: target.Proto(),
			Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: &protocol.IceCandidate{
				Candidate:     proto.String("candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"),
				SdpMid:        proto.String("0"),
				SdpMlineIndex: proto.Uint32(0),
			}},
		}},
	}
	want := cat(
		fVarint(1, 2),       // envelope_version
		fString(2, "env-1"), // envelope_id
		fBytes(13, cat( // actr_relay
			fBytes(1, wantActrID()), // source
			fBytes(3, cat( // target
				fBytes(1, fVarint(1, 1)),
				fVarint(2, 7),
				fBytes(3, cat(fString(1, "acme"), fString(2, "client"), fString(3, ""))),
			)),
			fBytes(10, cat( // ice_candidate
				fString(1, "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host"),
				fString(2, "0"),
				fVarint(3, 0), // sdp_mline_index 0 is sent: proto2 presence
			)),
		)),
	)
	checkGolden(t, env, want)
}
