package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// actr send makes calls: the default route is the node's echo, another
// route is answered with the node's error; --raw sends bare bytes; actr
// bench --rpc measures calls.
func TestSendAndBenchCallRoutes(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	_, url := signalServer(t)
	n := startProc(t, "node", "node", "--signal", url, "--loopback-only", "--log", "--metrics-listen", "127.0.0.1:0")
	id := n.line(ctx, "actor ")
	metricsURL := n.line(ctx, "metrics ")

	out, errOut, code := runOnce(t, ctx, "send", "--signal", url, "--to", id, "--loopback-only", "hi")
	if code != 0 || out != "hi" || !strings.Contains(errOut, "to echo.Echo.Say over webrtc (RPC_RELIABLE)") {
		t.Fatalf("send hi: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	if line := n.line(ctx, "message "); !strings.Contains(line, `RPC_RELIABLE request "echo.Echo.Say" from `) {
		t.Fatalf("node --log printed %q", line)
	}
	// The node's /metrics has the RPC metrics.
	if m := httpGet(t, ctx, metricsURL); !strings.Contains(m, `actr_rpc_handled_total{code="0",route="echo.Echo.Say"} 1`) {
		t.Fatalf("node metrics lack the call served:\n%s", m)
	}
	out, errOut, code = runOnce(t, ctx, "send", "--signal", url, "--to", id, "--loopback-only", "--route", "acme.Nope", "--payload-type", "RPC_SIGNAL", "x")
	if code != 1 || out != "" || !strings.Contains(errOut, `answered acme.Nope with error 404: no handler for route "acme.Nope"`) {
		t.Fatalf("send to an unknown route: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	out, errOut, code = runOnce(t, ctx, "send", "--signal", url, "--to", id, "--loopback-only", "--raw", "bare")
	if code != 0 || out != "bare" {
		t.Fatalf("send --raw: exit %d, stdout %q, stderr:\n%s", code, out, errOut)
	}
	out, errOut, code = runOnce(t, ctx, "bench", "--signal", url, "--to", id, "--loopback-only", "--rpc", "--count", "50", "--concurrency", "4", "--json")
	if code != 0 || !strings.Contains(out, `"msgs": 50,`) || !strings.Contains(out, `"rpc": true`) {
		t.Fatalf("bench --rpc: exit %d, stdout %s, stderr:\n%s", code, out, errOut)
	}
	out, errOut, code = runOnce(t, ctx, "bench", "--rpc", "--wire", "websocket", "--count", "50", "--json")
	if code != 0 || !strings.Contains(out, `"msgs": 50,`) || !strings.Contains(out, `"websocket": 50`) {
		t.Fatalf("embedded bench --rpc: exit %d, stdout %s, stderr:\n%s", code, out, errOut)
	}
	n.stop(ctx)
}
