package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// An embedded-pair bench over each wire kind does exactly --count round
// trips over that kind, with sane percentiles, in JSON.
func TestBenchEmbeddedJSON(t *testing.T) {
	for _, wire := range []string{"webrtc", "websocket"} {
		t.Run(wire, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(t.Context(), []string{"bench", "--wire", wire, "--count", "200", "--concurrency", "4", "--size", "512", "--json"}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, &stderr)
			}
			var r benchResult
			if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
				t.Fatalf("%v:\n%s", err, &stdout)
			}
			if r.Msgs != 200 || r.Errors != 0 || r.Lost != 0 || r.Wires[wire] != 200 || len(r.Wires) != 1 {
				t.Fatalf("result %+v, want 200 round trips over %s", r, wire)
			}
			if r.Size != 512 || r.Concurrency != 4 || r.Mode != "embedded" || r.MsgsPerSec <= 0 {
				t.Fatalf("result %+v", r)
			}
			if !(0 < r.P50us && r.P50us <= r.P90us && r.P90us <= r.P99us && r.P99us <= r.MaxUs) {
				t.Fatalf("percentiles out of order: %+v", r)
			}
		})
	}
}

// The text form is a table; without a terminal there is no progress line.
func TestBenchText(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"bench", "--count", "20"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	for _, want := range []string{"mode         embedded", "round trips  20 in", "throughput", "p50"} {
		if !strings.Contains(stdout.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, &stdout)
		}
	}
	if stderr.Len() != 0 {
		t.Fatalf("stderr not empty without a terminal: %q", &stderr)
	}
}

func TestBenchErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"bench", "--size", "0"}, 2, "--size"},
		{[]string{"bench", "--wire", "bogus"}, 2, "--wire"},
		{[]string{"bench", "--concurrency", "0"}, 2, "--concurrency"},
		{[]string{"bench", "--to", "acme:echo@1.5", "--wire", "webrtc"}, 2, "--wire applies"},
		{[]string{"bench", "--signal", "ws://127.0.0.1:1/", "--to", "acme:echo@1.5", "--timeout", "5s"}, 1, "registering"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(t.Context(), tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stderr.String(), tc.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Fatalf("%v: exit %d, stderr %q; want exit %d and one line saying %q", tc.args, code, &stderr, tc.code, tc.want)
		}
	}
}
