package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"

	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
	"github.com/actr-go/actr/wire/webrtc"
	"github.com/actr-go/actr/wire/websocket"
)

var local = protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "client"}

func peer(n int) transport.Dest {
	return transport.Actor(protocol.ActorID{Realm: 1, Serial: uint64(100 + n), Manufacturer: "acme", Name: "echo"})
}

// value returns the value of the metric name with exactly labels, and
// whether it exists.
func value(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (float64, bool) {
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
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			return metricValue(m), true
		}
	}
	return 0, false
}

func metricValue(m *dto.Metric) float64 {
	if m.Counter != nil {
		return m.Counter.GetValue()
	}
	return m.Gauge.GetValue()
}

func want(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string, v float64) {
	t.Helper()
	got, ok := value(t, reg, name, labels)
	if !ok || got != v {
		t.Fatalf("%s%v = %v (present %v), want %v", name, labels, got, ok, v)
	}
}

func TestManagerMetrics(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	net := transporttest.NewNetwork()
	b := transporttest.NewBuilder(net, local)
	mgr, err := transport.NewOutprocManager(local, b, transport.WithSendStats())
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	reg := prometheus.NewRegistry()
	wsc := &websocket.Counters{}
	wsc.FramesOut.Add(7)
	wsc.RejectedAuth.Add(2)
	wsc.RejectedReplay.Add(1)
	wsc.RejectedBearer.Add(1)
	m, err := metrics.New(reg, metrics.Sources{Manager: mgr, WebSocket: map[string]*websocket.Counters{"gate": wsc}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	sub := mgr.Subscribe(256)
	defer sub.Close()

	b.FailConnects(transport.WireWebSocket, 1, nil) // one failed attempt, then the retry connects
	for i := range 2 {
		for range 3 {
			if err := mgr.Send(ctx, peer(i), protocol.RPCReliable, []byte("hello")); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Wait until every wire of both dests has settled.
	for ready := 0; ready < 4; {
		select {
		case ev := <-sub.Events():
			if ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireReady {
				ready++
			}
		case <-ctx.Done():
			t.Fatal("wires not ready")
		}
	}
	want(t, reg, "actr_dests", nil, 2)
	want(t, reg, "actr_dials_total", nil, 2)
	want(t, reg, "actr_wires", map[string]string{"kind": "webrtc", "state": "ready"}, 2)
	want(t, reg, "actr_wires", map[string]string{"kind": "websocket", "state": "ready"}, 2)
	want(t, reg, "actr_wires", map[string]string{"kind": "webrtc", "state": "failed"}, 0)
	// Each Send took the best lane ready at that moment: WebRTC, or
	// WebSocket while WebRTC was still connecting.
	sent := func(name string) float64 {
		rtc, _ := value(t, reg, name, map[string]string{"payload_type": "RPC_RELIABLE", "kind": "webrtc"})
		ws, _ := value(t, reg, name, map[string]string{"payload_type": "RPC_RELIABLE", "kind": "websocket"})
		return rtc + ws
	}
	if m, b := sent("actr_sent_messages_total"), sent("actr_sent_bytes_total"); m != 6 || b != 30 {
		t.Fatalf("sent %v messages, %v bytes; want 6 and 30", m, b)
	}
	want(t, reg, "actr_send_errors_total", map[string]string{"payload_type": "RPC_RELIABLE"}, 0)
	want(t, reg, "actr_websocket_frames_total", map[string]string{"role": "gate", "direction": "out"}, 7)
	want(t, reg, "actr_websocket_rejected_total", map[string]string{"role": "gate", "reason": "auth"}, 2)
	want(t, reg, "actr_websocket_rejected_total", map[string]string{"role": "gate", "reason": "path"}, 0)
	want(t, reg, "actr_websocket_auth_refusals_total", map[string]string{"role": "gate", "reason": "replay"}, 1)
	want(t, reg, "actr_websocket_auth_refusals_total", map[string]string{"role": "gate", "reason": "bearer"}, 1)
	want(t, reg, "actr_websocket_auth_refusals_total", map[string]string{"role": "gate", "reason": "proof"}, 0)
	want(t, reg, "actr_websocket_disconnects_total", map[string]string{"role": "gate", "reason": "stalled"}, 0)
	want(t, reg, "actr_websocket_buffered_bytes", map[string]string{"role": "gate"}, 0)

	// The watcher counts what only events say. Close drains its
	// subscription (events published before it are all counted) and
	// waits for it; the Metrics, a plain Collector, is then registered
	// again to read the final count.
	m.Close()
	reg.MustRegister(m)
	want(t, reg, "actr_wire_connect_failures_total", map[string]string{"kind": "websocket"}, 1)
	want(t, reg, "actr_wire_connect_failures_total", map[string]string{"kind": "webrtc"}, 0)

	if err := mgr.CloseTransport(ctx, peer(0)); err != nil {
		t.Fatal(err)
	}
	want(t, reg, "actr_dests", nil, 1)
	want(t, reg, "actr_transports_removed_total", nil, 1)
	if m := sent("actr_sent_messages_total"); m != 6 { // kept after removal
		t.Fatalf("after removal: sent %v messages, want 6", m)
	}

	// The HTTP exposition works and carries the names.
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `actr_wires{kind="websocket",state="ready"} 1`) {
		t.Fatalf("exposition lacks the websocket wire:\n%s", body)
	}
}

// Close unregisters, so a new Metrics can take the same registry.
func TestCloseUnregisters(t *testing.T) {
	net := transporttest.NewNetwork()
	mgr, err := transport.NewOutprocManager(local, transporttest.NewBuilder(net, local))
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Sources{Manager: mgr})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(reg, metrics.Sources{Manager: mgr}); err == nil {
		t.Fatal("a second Metrics registered on the same registry")
	}
	m.Close()
	m2, err := metrics.New(reg, metrics.Sources{Manager: mgr})
	if err != nil {
		t.Fatalf("after Close: %v", err)
	}
	m2.Close()
}

// rtcSignaler is a Signaler that never relays anything: enough for a
// Coordinator whose counters are read.
type rtcSignaler struct{}

func (rtcSignaler) NegotiateRole(context.Context, protocol.ActorID) (bool, error) {
	return false, webrtc.ErrCoordinatorClosed
}
func (rtcSignaler) SendSessionDescription(protocol.ActorID, *protocol.SessionDescription) error {
	return nil
}
func (rtcSignaler) SendIceCandidate(protocol.ActorID, *protocol.IceCandidate) error { return nil }
func (rtcSignaler) Relays() <-chan signaling.Relay                                  { return nil }

func TestWebRTCLimitMetrics(t *testing.T) {
	co, err := webrtc.NewCoordinator(rtcSignaler{}, webrtc.Config{LoopbackOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = co.Close() }()
	co.Counters().Stalls.Add(2)
	co.Counters().SetupsRefused.Add(3)
	co.Counters().CandidatesOffNetwork.Add(4)
	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Sources{WebRTC: co}); err != nil {
		t.Fatal(err)
	}
	want(t, reg, "actr_webrtc_stalls_total", nil, 2)
	want(t, reg, "actr_webrtc_setups_refused_total", map[string]string{"reason": "cap"}, 3)
	want(t, reg, "actr_webrtc_setups_refused_total", map[string]string{"reason": "per_peer"}, 0)
	want(t, reg, "actr_webrtc_setup_timeouts_total", nil, 0)
	want(t, reg, "actr_webrtc_remote_candidates_total", map[string]string{"outcome": "off_network"}, 4)
	want(t, reg, "actr_webrtc_inbound_setups", nil, 0)
	want(t, reg, "actr_webrtc_reassembly_bytes", nil, 0)
	want(t, reg, "actr_webrtc_reassembly_refused_total", nil, 0)
}
