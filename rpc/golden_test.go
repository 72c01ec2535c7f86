package rpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
)

// The bytes of a request and a response as this package builds them,
// against hex written by hand from actr's field numbers (RpcEnvelope:
// 1 route_key, 2 payload, 3 error {1 code, 2 message}, 4 direction,
// 100 traceparent, 101 tracestate, 102 request_id, 103 metadata
// {1 key, 2 value}, 104 timeout_ms), not by the protobuf library.
func TestGoldenEnvelopes(t *testing.T) {
	ctx := WithTraceContext(context.Background(), TraceContext{Traceparent: "tp", Tracestate: "ts"})
	req := requestEnvelope("a.B.C", []byte("hi"), "r1", 1500, Metadata{{"k", "v"}}, ctx)
	resp := responseEnvelope("a.B.C", "r1", []byte("ok"), nil)
	errResp := responseEnvelope("a.B.C", "r1", nil, Errorf(CodeUnknownRoute, "no"))
	tell := tellEnvelope("a.B.C", nil, "t1", nil, context.Background())
	for _, c := range []struct {
		name string
		got  proto.Message
		hex  string
	}{
		{"request", req, `
			0a 05 612e422e43          1 route_key "a.B.C"
			12 02 6869                2 payload "hi"
			20 01                     4 direction REQUEST
			a206 02 7470              100 traceparent "tp"
			aa06 02 7473              101 tracestate "ts"
			b206 02 7231              102 request_id "r1"
			ba06 06 0a016b 120176     103 metadata {1 "k", 2 "v"}
			c006 dc0b                 104 timeout_ms 1500`},
		{"response", resp, `
			0a 05 612e422e43          1 route_key
			12 02 6f6b                2 payload "ok"
			20 02                     4 direction RESPONSE
			b206 02 7231              102 request_id "r1"
			c006 00                   104 timeout_ms 0`},
		{"error response", errResp, `
			0a 05 612e422e43          1 route_key
			12 00                     2 payload (empty)
			1a 07 08 9403 12 02 6e6f  3 error {1 code 404, 2 message "no"}
			20 02                     4 direction RESPONSE
			b206 02 7231              102 request_id "r1"
			c006 00                   104 timeout_ms 0`},
		{"tell", tell, `
			0a 05 612e422e43          1 route_key
			12 00                     2 payload (empty)
			20 03                     4 direction TELL
			b206 02 7431              102 request_id "t1"
			c006 00                   104 timeout_ms 0`},
	} {
		want := hexLines(t, c.hex)
		got, err := proto.MarshalOptions{Deterministic: true}.Marshal(c.got)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %x\nwant %x", c.name, got, want)
		}
	}
}

// hexLines reads the hex tokens at the start of each line; the first
// token that is not an even-length hex string (the field number column,
// 1 or 3 digits) ends the line's bytes.
func hexLines(t *testing.T, s string) []byte {
	t.Helper()
	var out []byte
	for _, line := range strings.Split(s, "\n") {
		for _, tok := range strings.Fields(line) {
			b, err := hex.DecodeString(tok)
			if err != nil || len(tok)%2 != 0 {
				break
			}
			out = append(out, b...)
		}
	}
	return out
}
