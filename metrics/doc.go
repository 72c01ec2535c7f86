// Package metrics exports a node's counters to Prometheus.
//
// Everything is read when Prometheus scrapes, from the counters the
// layers already keep (transport.Stats, the wires' and the signaling
// server's atomic counters) — nothing is counted twice — except what only
// the event bus says (connect attempts that failed, reconnects), which a
// watcher goroutine counts.
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg, metrics.Sources{Manager: mgr, WebRTC: co})
//	...
//	defer m.Close()
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// Per-lane send counts need the manager built with
// transport.WithSendStats.
package metrics
