package protocol_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/actr-go/actr/protocol"
)

func TestPayloadTypeConstants(t *testing.T) {
	for _, tc := range []struct {
		pt    protocol.PayloadType
		value int32
		name  string
	}{
		{protocol.RPCReliable, 0, "RPC_RELIABLE"},
		{protocol.RPCSignal, 1, "RPC_SIGNAL"},
		{protocol.StreamReliable, 2, "STREAM_RELIABLE"},
		{protocol.StreamLatencyFirst, 3, "STREAM_LATENCY_FIRST"},
		{protocol.MediaRTP, 4, "MEDIA_RTP"},
	} {
		if int32(tc.pt) != tc.value || tc.pt.String() != tc.name {
			t.Errorf("%v = %d, want %s = %d", tc.pt, tc.pt, tc.name, tc.value)
		}
	}
}

func TestPayloadTypeCount(t *testing.T) {
	if len(protocol.PayloadType_name) != protocol.PayloadTypeCount {
		t.Fatalf("PayloadTypeCount = %d, but the enum has %d values", protocol.PayloadTypeCount, len(protocol.PayloadType_name))
	}
	for v := range protocol.PayloadType_name {
		if v < 0 || int(v) >= protocol.PayloadTypeCount || v > int32(protocol.MaxPayloadType) {
			t.Errorf("enum value %d outside [0, PayloadTypeCount)", v)
		}
	}
	var lanes [protocol.PayloadTypeCount]string // sizes an array, indexed by PayloadType
	lanes[protocol.MaxPayloadType] = "rtp"
	if lanes[protocol.MediaRTP] != "rtp" {
		t.Fatal("indexing by PayloadType")
	}
}

func TestDataPayloadTypes(t *testing.T) {
	got := protocol.DataPayloadTypes()
	want := []protocol.PayloadType{protocol.RPCReliable, protocol.RPCSignal, protocol.StreamReliable, protocol.StreamLatencyFirst}
	if !slices.Equal(got, want) {
		t.Fatalf("DataPayloadTypes() = %v, want %v", got, want)
	}
	got[0] = protocol.MediaRTP // callers own the slice
	if protocol.DataPayloadTypes()[0] != protocol.RPCReliable {
		t.Fatal("DataPayloadTypes shares its slice between calls")
	}
	for pt := protocol.PayloadType(-2); pt < protocol.PayloadTypeCount+2; pt++ {
		if want := slices.Contains(want, pt); pt.IsData() != want {
			t.Errorf("%v.IsData() = %v, want %v", pt, pt.IsData(), want)
		}
	}
}

func TestParsePayloadType(t *testing.T) {
	for in, want := range map[string]protocol.PayloadType{
		"RPC_RELIABLE":         protocol.RPCReliable,
		"rpc_reliable":         protocol.RPCReliable,
		"rpc-reliable":         protocol.RPCReliable,
		"Rpc-Signal":           protocol.RPCSignal,
		"stream_reliable":      protocol.StreamReliable,
		"STREAM-LATENCY-FIRST": protocol.StreamLatencyFirst,
		"stream-latency_first": protocol.StreamLatencyFirst,
		"media-rtp":            protocol.MediaRTP,
	} {
		got, err := protocol.ParsePayloadType(in)
		if err != nil || got != want {
			t.Errorf("ParsePayloadType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "1", "rpc", "RPCReliable", "rpc reliable", " rpc_reliable",
		"rpc_ſignal", "RPC_RELIABLE\x00", "PAYLOAD_TYPE_RPC_RELIABLE"} {
		if got, err := protocol.ParsePayloadType(in); !errors.Is(err, protocol.ErrUnknownPayloadType) {
			t.Errorf("ParsePayloadType(%q) = %v, %v; want ErrUnknownPayloadType", in, got, err)
		}
	}
	for pt := range protocol.PayloadTypeCount {
		if got, err := protocol.ParsePayloadType(protocol.PayloadType(pt).String()); err != nil || got != protocol.PayloadType(pt) {
			t.Errorf("ParsePayloadType(%v.String()) = %v, %v", protocol.PayloadType(pt), got, err)
		}
	}
}
