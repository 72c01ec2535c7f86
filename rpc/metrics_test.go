package rpc_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/transport"
)

// Calls by route and outcome, the latency histogram, served requests and
// dropped orphans show in the metrics.
func TestMetrics(t *testing.T) {
	ctx := guard(t)
	reg := prometheus.NewRegistry()
	m, err := rpc.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	f := newFabric()
	a := f.endpoint(t, alice, rpc.Config{Metrics: m})
	b := f.endpoint(t, bob, rpc.Config{Metrics: m})
	b.HandleFunc("r", echo)
	for range 3 {
		if _, err := a.Call(ctx, bob, "r", nil); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = a.Call(ctx, bob, "nowhere", nil)
	a.ServeMessage(ctx, transport.Message{From: bob, Type: protocol.RPCReliable,
		Data: envelope(protocol.RpcEnvelope_DIRECTION_RESPONSE.Enum(), "r", "stale", 0)})
	_ = b.Close()

	if v := sample(t, reg, "actr_rpc_calls_total", map[string]string{"route": "r", "outcome": "ok"}); v != 3 {
		t.Fatalf("ok calls %v", v)
	}
	if v := sample(t, reg, "actr_rpc_calls_total", map[string]string{"route": "nowhere", "outcome": "error"}); v != 1 {
		t.Fatalf("error calls %v", v)
	}
	if v := sample(t, reg, "actr_rpc_handled_total", map[string]string{"route": "unknown", "code": "404"}); v != 1 {
		t.Fatalf("unknown routes handled %v", v)
	}
	if v := sample(t, reg, "actr_rpc_dropped_total", map[string]string{"reason": "orphan_response"}); v != 1 {
		t.Fatalf("orphans %v", v)
	}
	if n := series(t, reg, "actr_rpc_call_duration_seconds"); n != 2 {
		t.Fatalf("%d latency series, want 2 (r, nowhere)", n)
	}
}

// sample is the value of a gathered counter's series with these labels.
func sample(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, mt := range mf.GetMetric() {
			if len(mt.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range mt.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue next
				}
			}
			return mt.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

func series(t *testing.T, reg *prometheus.Registry, name string) int {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return len(mf.GetMetric())
		}
	}
	return 0
}
