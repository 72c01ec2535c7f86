package natscluster_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster/natsclustertest"
	"github.com/actr-go/actr/status"
)

func fetch(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestClusterMetricsAndStatus: a server's metrics and status page show
// its cluster: the servers alive, the actors on each, the relays that
// crossed servers.
func TestClusterMetricsAndStatus(t *testing.T) {
	ctx := guard(t)
	cl := natsclustertest.Start(t, 2, signaling.ServerConfig{})
	s1 := cl.Servers[0]
	a := dial(t, ctx, s1.URL, typeA)
	b := dial(t, ctx, cl.Servers[1].URL, typeB)
	until(t, ctx, "each server sees the other's actor and hears both", func() bool {
		return s1.Srv.Online(b.ID()) && cl.Servers[1].Srv.Online(a.ID()) && s1.Backplane.Servers() == 2
	})
	if err := a.SendSessionDescription(b.ID(), &protocol.SessionDescription{Sdp: proto.String("v=0")}); err != nil {
		t.Fatal(err)
	}
	waitRelay(t, ctx, b)
	// Counted once the other server's answer is back, which may be after
	// the target has the relay.
	until(t, ctx, "server 1 counts the relay it sent", func() bool { return s1.Srv.Counters().ClusterRelaysSent.Load() == 1 })

	reg := prometheus.NewRegistry()
	if _, err := metrics.New(reg, metrics.Sources{Signaling: s1.Srv}); err != nil {
		t.Fatal(err)
	}
	ms := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer ms.Close()
	m := fetch(t, ms.URL)
	for _, want := range []string{
		"actr_signaling_cluster_servers 2",
		"actr_signaling_cluster_healthy 1",
		`actr_signaling_cluster_actors{server="sig1"} 1`,
		`actr_signaling_cluster_actors{server="sig2"} 1`,
		`actr_signaling_cluster_relays_total{outcome="sent"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Fatalf("metrics lack %q:\n%s", want, m)
		}
	}

	page := status.NewSignalingPage(s1.Srv, status.SignalingOptions{URL: s1.URL})
	defer page.Close()
	ps := httptest.NewServer(page)
	defer ps.Close()
	var snap status.SignalingSnapshot
	if err := json.Unmarshal([]byte(fetch(t, ps.URL+"/?format=json")), &snap); err != nil {
		t.Fatal(err)
	}
	c := snap.Cluster
	if c == nil || c.Name != "sig1" || !c.Healthy || c.Servers != 2 || c.RelaysSent != 1 || len(c.Actors) != 2 {
		t.Fatalf("the status page's cluster: %+v", c)
	}
	html := fetch(t, ps.URL+"/")
	for _, want := range []string{"Cluster", "servers alive", "cross-server relays sent", "sig2"} {
		if !strings.Contains(html, want) {
			t.Fatalf("the page lacks %q", want)
		}
	}
}
