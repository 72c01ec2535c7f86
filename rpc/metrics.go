package rpc

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are an Endpoint's Prometheus metrics (Config.Metrics). One
// Metrics may serve several endpoints; a nil *Metrics counts nothing.
//
//	actr_rpc_calls_total{route,outcome}            calls and tells made: ok, error (an ErrorResponse), deadline, cancelled, send_failed, refused, told
//	actr_rpc_call_duration_seconds{route}          round trip of calls answered (ok or error)
//	actr_rpc_calls_in_flight                       calls waiting for their response
//	actr_rpc_handled_total{route,code}             requests and tells served, by the code answered (0: success); route "unknown" for unregistered keys
//	actr_rpc_handler_duration_seconds{route}       from a request's arrival to its answer
//	actr_rpc_handlers_in_flight                    requests being handled
//	actr_rpc_dropped_total{reason}                 inbound messages dropped: orphan_response, no_direction, undecodable, ...
//	actr_rpc_reply_failures_total                  responses that could not be sent
type Metrics struct {
	calls, handledC, droppedC *prometheus.CounterVec
	latency, handlerLat       *prometheus.HistogramVec
	inFlight, handlersIn      prometheus.Gauge
	replyFail                 prometheus.Counter
}

// NewMetrics registers the RPC metrics with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	buckets := prometheus.ExponentialBuckets(50e-6, 2, 18) // 50 µs … 6.5 s
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "actr_rpc_calls_total",
			Help: "RPC calls and tells made, by route and outcome."}, []string{"route", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "actr_rpc_call_duration_seconds",
			Help: "Round trip of RPC calls answered, by route.", Buckets: buckets}, []string{"route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{Name: "actr_rpc_calls_in_flight",
			Help: "RPC calls waiting for their response."}),
		handledC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "actr_rpc_handled_total",
			Help: "RPC requests and tells served, by route and the code answered (0: success)."}, []string{"route", "code"}),
		handlerLat: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "actr_rpc_handler_duration_seconds",
			Help: "Time from an RPC request's arrival to its answer, by route.", Buckets: buckets}, []string{"route"}),
		handlersIn: prometheus.NewGauge(prometheus.GaugeOpts{Name: "actr_rpc_handlers_in_flight",
			Help: "RPC requests being handled."}),
		droppedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "actr_rpc_dropped_total",
			Help: "Inbound RPC-layer messages dropped, by reason (orphan_response: a response whose call was cancelled, timed out or never existed)."}, []string{"reason"}),
		replyFail: prometheus.NewCounter(prometheus.CounterOpts{Name: "actr_rpc_reply_failures_total",
			Help: "RPC responses that could not be sent."}),
	}
	for _, r := range dropNames {
		m.droppedC.WithLabelValues(r)
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.calls, m.latency, m.inFlight, m.handledC, m.handlerLat, m.handlersIn, m.droppedC, m.replyFail} {
		errs = append(errs, reg.Register(c))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Metrics) call(route, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.calls.WithLabelValues(route, outcome).Inc()
	if outcome == outcomeOK || outcome == outcomeError {
		m.latency.WithLabelValues(route).Observe(d.Seconds())
	}
}

func (m *Metrics) callsInFlight(d float64) {
	if m != nil {
		m.inFlight.Add(d)
	}
}

func (m *Metrics) handlersInFlight(d float64) {
	if m != nil {
		m.handlersIn.Add(d)
	}
}

func (m *Metrics) handled(route string, c Code) {
	if m != nil {
		m.handledC.WithLabelValues(route, strconv.FormatUint(uint64(c), 10)).Inc()
	}
}

func (m *Metrics) handlerLatency(route string, d time.Duration) {
	if m != nil {
		m.handlerLat.WithLabelValues(route).Observe(d.Seconds())
	}
}

func (m *Metrics) dropped(r dropReason) {
	if m != nil {
		m.droppedC.WithLabelValues(r.String()).Inc()
	}
}

func (m *Metrics) replyFailed() {
	if m != nil {
		m.replyFail.Inc()
	}
}
