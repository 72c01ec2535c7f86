package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/status"
	"github.com/actr-go/actr/transport"
)

// observer serves /metrics (Prometheus) and, for a node, / (the status
// page) on --metrics-listen.
type observer struct {
	srv     *http.Server
	ln      net.Listener
	done    chan struct{}
	metrics *metrics.Metrics
	rec     *status.Recorder
	sigPage *status.SignalingPage
}

// pages are the status pages an observer serves at /: a node's (with
// src.Manager) or a signaling server's (with src.Signaling).
type pages struct {
	node      status.Options
	signaling status.SignalingOptions
	// collectors are more metrics to export (a TURN server's).
	collectors []prometheus.Collector
	// extra metrics served with the others (the node's RPC metrics).
	extra prometheus.Gatherer
}

// links are what the status pages link to.
var links = []status.Link{{Name: "metrics", URL: "/metrics"}}

// listenMetrics binds --metrics-listen, before the command announces
// anything, so that a taken port fails it first.
func listenMetrics(addr string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-listen %s: %w", addr, err)
	}
	return ln, nil
}

// startObserver serves src's metrics on ln, and mgr's status page if
// mgr is not nil; it owns ln from then on. It prints where on stdout.
func startObserver(ln net.Listener, src metrics.Sources, pg pages, stdout io.Writer, log *slog.Logger) (*observer, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for _, c := range pg.collectors {
		if err := reg.Register(c); err != nil {
			_ = ln.Close()
			return nil, err
		}
	}
	m, err := metrics.New(reg, src)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	o := &observer{metrics: m, done: make(chan struct{}), ln: ln}
	mux := http.NewServeMux()
	var g prometheus.Gatherer = reg
	if pg.extra != nil {
		g = prometheus.Gatherers{reg, pg.extra}
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	switch {
	case src.Manager != nil:
		o.rec = status.NewRecorder(src.Manager, 200)
		pg.node.Links = links
		mux.Handle("GET /{$}", status.NewHandler(src.Manager, o.rec, pg.node))
	case src.Signaling != nil:
		pg.signaling.Links = links
		o.sigPage = status.NewSignalingPage(src.Signaling, pg.signaling)
		mux.Handle("GET /{$}", o.sigPage)
	}
	o.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug)}
	go func() {
		defer close(o.done)
		if err := o.srv.Serve(o.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	fmt.Fprintf(stdout, "metrics http://%s/metrics\n", o.ln.Addr())
	fmt.Fprintf(stdout, "status http://%s/\n", o.ln.Addr())
	return o, nil
}

func (o *observer) close() {
	if o == nil {
		return
	}
	if o.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = o.srv.Shutdown(ctx)
		cancel()
		<-o.done
	}
	if o.rec != nil {
		o.rec.Close()
	}
	if o.sigPage != nil {
		o.sigPage.Close()
	}
	o.metrics.Close()
}

// sendStatsIf asks the manager for per-lane send counts when metrics are
// served.
func sendStatsIf(on bool) []transport.Option {
	if on {
		return []transport.Option{transport.WithSendStats()}
	}
	return nil
}
