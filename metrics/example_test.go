package metrics_test

import (
	"fmt"
	"log"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// A manager's metrics on a registry of their own, served for Prometheus.
func Example() {
	id := protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "app"}
	mgr, err := transport.NewOutprocManager(id, transporttest.NewBuilder(transporttest.NewNetwork(), id), transport.WithSendStats())
	if err != nil {
		log.Fatal(err)
	}
	defer mgr.Close()

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Sources{Manager: mgr})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})) // serve mux on the metrics address

	mfs, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "actr_dests" {
			fmt.Println(mf.GetName(), mf.GetMetric()[0].GetGauge().GetValue())
		}
	}
	// Output: actr_dests 0
}
