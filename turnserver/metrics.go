package turnserver

import "github.com/prometheus/client_golang/prometheus"

// Collector exports a Server's counters to Prometheus:
//
//	actr_turn_allocations                 live allocations (gauge)
//	actr_turn_allocations_total           allocations made
//	actr_turn_allocation_failures_total   allocations whose relay socket failed
//	actr_turn_refusals_total{reason}      malformed, expired, forged, realm, quota, age, peer
//	actr_turn_relayed_bytes_total{direction}  to_peer, from_peer
//	actr_turn_dropped_total{unit}         datagrams and bytes over the bandwidth cap
type Collector struct {
	s *Server

	allocs, allocsTotal, allocFailures, refusals, relayed, dropped *prometheus.Desc
}

// NewCollector returns the collector of s; register it with a registry.
func NewCollector(s *Server) *Collector {
	return &Collector{
		s:             s,
		allocs:        prometheus.NewDesc("actr_turn_allocations", "Live TURN allocations.", nil, nil),
		allocsTotal:   prometheus.NewDesc("actr_turn_allocations_total", "TURN allocations made.", nil, nil),
		allocFailures: prometheus.NewDesc("actr_turn_allocation_failures_total", "TURN allocations whose relay socket failed.", nil, nil),
		refusals:      prometheus.NewDesc("actr_turn_refusals_total", "TURN requests refused, by reason.", []string{"reason"}, nil),
		relayed:       prometheus.NewDesc("actr_turn_relayed_bytes_total", "Bytes relayed, by direction.", []string{"direction"}, nil),
		dropped:       prometheus.NewDesc("actr_turn_dropped_total", "Relayed traffic dropped over the per-allocation bandwidth cap.", []string{"unit"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.allocs, c.allocsTotal, c.allocFailures, c.refusals, c.relayed, c.dropped} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	k := &c.s.counters
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	ch <- prometheus.MustNewConstMetric(c.allocs, prometheus.GaugeValue, float64(c.s.Allocations()))
	counter(c.allocsTotal, k.AllocationsCreated.Load())
	counter(c.allocFailures, k.AllocationsFailed.Load())
	for _, r := range []struct {
		reason string
		v      uint64
	}{
		{"malformed", k.RefusedMalformed.Load()}, {"expired", k.RefusedExpired.Load()}, {"forged", k.RefusedForged.Load()},
		{"realm", k.RefusedRealm.Load()}, {"quota", k.RefusedQuota.Load()}, {"age", k.RefusedAge.Load()}, {"peer", k.RefusedPeer.Load()},
	} {
		counter(c.refusals, r.v, r.reason)
	}
	counter(c.relayed, k.RelayedToPeers.Load(), "to_peer")
	counter(c.relayed, k.RelayedFromPeers.Load(), "from_peer")
	counter(c.dropped, k.DroppedDatagrams.Load(), "datagrams")
	counter(c.dropped, k.DroppedBytes.Load(), "bytes")
}
