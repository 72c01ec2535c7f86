package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
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

// Against a signaling server that is up, --to an actor that is not online
// fails at once with one line, and so does --to a peer that never echoes.
// The pair's second node drops what it receives (no handler set).
func TestBenchRemoteFailures(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	p, err := startPair(ctx, pairOptions{names: [2]string{"a", "silent"}, health: -1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	for _, tc := range []struct {
		to, want string
	}{
		{"acme:echo@1.999999", "is unknown or unreachable"},
		{p.b.ID().String(), "no echo"},
	} {
		var stdout, stderr bytes.Buffer
		args := []string{"bench", "--signal", p.url(), "--loopback-only", "--to", tc.to, "--timeout", "10s", "--echo-timeout", "300ms", "--json"}
		code := run(ctx, args, &stdout, &stderr)
		if code != 1 || !strings.Contains(stderr.String(), tc.want) || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Fatalf("--to %s: exit %d, stderr %q; want exit 1 and one line saying %q", tc.to, code, &stderr, tc.want)
		}
		if stdout.Len() != 0 {
			t.Fatalf("--to %s: stdout %q, want nothing", tc.to, &stdout)
		}
	}
}

// Cancelling the context (SIGINT) ends a long run early; the figures so
// far are still printed, marked interrupted, and every goroutine ends
// (TestMain checks with goleak).
func TestBenchInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stdout, stderr bytes.Buffer
	started := make(chan struct{})
	benchFirstRoundTrip = func() { close(started) }
	defer func() { benchFirstRoundTrip = nil }()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"bench", "--wire", "websocket", "--duration", "1m", "--concurrency", "4", "--json"}, &stdout, &stderr)
	}()
	select {
	case <-started: // the timed run is under way
	case <-time.After(15 * time.Second):
		t.Fatal("no round trip within 15s")
	}
	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("bench did not stop within 15s of the cancel")
	}
	if code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	var r benchResult
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v:\n%s", err, &stdout)
	}
	if !r.Interrupted || r.Msgs == 0 || r.Seconds > 30 || r.Wires["websocket"] != r.Msgs {
		t.Fatalf("result %+v, want an interrupted run of some websocket round trips", r)
	}
}
