package webrtc_test

import (
	"context"
	"math"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// The flow-control marks of the bare loop: webrtc.Config's defaults.
const (
	bareBufferedHigh = 1 << 20
	bareBufferedLow  = 256 << 10
)

// benchConfig is what the benchmarks run actr with: loopback only, every
// other setting at its default (as the bare pion pair).
func benchConfig() webrtc.Config { return webrtc.Config{LoopbackOnly: true} }

// byteCounter counts received bytes and signals once when they reach the
// target set by expect.
type byteCounter struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func newByteCounter() *byteCounter { return &byteCounter{done: make(chan struct{}, 1)} }

func (c *byteCounter) add(n int) {
	if c.n.Add(int64(n)) == c.target.Load() {
		select {
		case c.done <- struct{}{}:
		default:
		}
	}
}

// expect sets the target n bytes past what was counted so far. Call it
// only while nothing is in flight.
func (c *byteCounter) expect(n int64) { c.target.Store(c.n.Load() + n) }

// wait waits for the target, or fails the benchmark when ctx ends.
func (c *byteCounter) wait(b *testing.B, ctx context.Context) {
	b.Helper()
	select {
	case <-c.done:
	case <-ctx.Done():
		b.Fatalf("waiting for %d bytes: %v (have %d)", c.target.Load(), ctx.Err(), c.n.Load())
	}
}

func (c *byteCounter) handler() transport.Handler {
	return transport.HandlerFunc(func(_ context.Context, m transport.Message) { c.add(len(m.Data)) })
}

// bareAPI is a pion API with the SettingEngine choices that
// webrtc.Config{LoopbackOnly: true} makes (host candidates on 127.0.0.1
// over UDP4, no mDNS; pion's ICE timers are the Config defaults), and
// otherwise pion's defaults: data channels are not detached, and the UDP
// sockets keep the operating system's buffers.
func bareAPI() *pion.API {
	var se pion.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() && ip.To4() != nil })
	se.SetNetworkTypes([]pion.NetworkType{pion.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return pion.NewAPI(pion.WithSettingEngine(se))
}

// trickle passes one side's ICE candidates to the other PeerConnection,
// keeping them until that side has its remote description.
type trickle struct {
	to      *pion.PeerConnection
	mu      sync.Mutex
	ready   bool
	pending []pion.ICECandidateInit
}

func (t *trickle) candidate(c *pion.ICECandidate) {
	if c == nil {
		return
	}
	init := c.ToJSON()
	t.mu.Lock()
	if !t.ready {
		t.pending = append(t.pending, init)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	_ = t.to.AddICECandidate(init)
}

func (t *trickle) remoteSet() {
	t.mu.Lock()
	t.ready = true
	pending := t.pending
	t.pending = nil
	t.mu.Unlock()
	for _, c := range pending {
		_ = t.to.AddICECandidate(c)
	}
}

// barePair is two PeerConnections connected in memory: offer, answer and
// trickled candidates are passed directly. The offerer (a) creates one
// reliable ordered data channel with default settings; the answerer (b)
// receives it through OnDataChannel and hands every message to onMessage.
type barePair struct {
	a, b   *pion.PeerConnection
	dc     *pion.DataChannel // a's end
	opened chan struct{}     // closed when a's end is open
	bOpen  chan struct{}     // closed when b's end is open
}

func newBarePair(api *pion.API, onMessage func(pion.DataChannelMessage)) (*barePair, error) {
	pa, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		return nil, err
	}
	pb, err := api.NewPeerConnection(pion.Configuration{})
	if err != nil {
		_ = pa.GracefulClose()
		return nil, err
	}
	p := &barePair{a: pa, b: pb, opened: make(chan struct{}), bOpen: make(chan struct{})}
	toB, toA := &trickle{to: pb}, &trickle{to: pa}
	pa.OnICECandidate(toB.candidate)
	pb.OnICECandidate(toA.candidate)
	pb.OnDataChannel(func(dc *pion.DataChannel) {
		dc.OnMessage(onMessage)
		var once sync.Once
		dc.OnOpen(func() { once.Do(func() { close(p.bOpen) }) })
	})
	fail := func(err error) (*barePair, error) {
		p.close()
		return nil, err
	}
	if p.dc, err = pa.CreateDataChannel("bench", nil); err != nil {
		return fail(err)
	}
	var once sync.Once
	p.dc.OnOpen(func() { once.Do(func() { close(p.opened) }) })
	offer, err := pa.CreateOffer(nil)
	if err != nil {
		return fail(err)
	}
	if err := pa.SetLocalDescription(offer); err != nil {
		return fail(err)
	}
	if err := pb.SetRemoteDescription(offer); err != nil {
		return fail(err)
	}
	toB.remoteSet()
	answer, err := pb.CreateAnswer(nil)
	if err != nil {
		return fail(err)
	}
	if err := pb.SetLocalDescription(answer); err != nil {
		return fail(err)
	}
	if err := pa.SetRemoteDescription(answer); err != nil {
		return fail(err)
	}
	toA.remoteSet()
	return p, nil
}

// waitOpen waits until the data channel is open on both sides.
func (p *barePair) waitOpen(ctx context.Context) error {
	for _, ch := range []chan struct{}{p.opened, p.bOpen} {
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// close closes both PeerConnections and waits for their goroutines.
func (p *barePair) close() {
	_ = p.a.GracefulClose()
	_ = p.b.GracefulClose()
}

// bareSender writes to a data channel with the flow control a pion user
// writes: above the high mark, wait for OnBufferedAmountLow.
type bareSender struct {
	dc  *pion.DataChannel
	low chan struct{}
}

func newBareSender(dc *pion.DataChannel) *bareSender {
	s := &bareSender{dc: dc, low: make(chan struct{}, 1)}
	dc.SetBufferedAmountLowThreshold(bareBufferedLow)
	dc.OnBufferedAmountLow(func() {
		select {
		case s.low <- struct{}{}:
		default:
		}
	})
	return s
}

func (s *bareSender) send(ctx context.Context, data []byte) error {
	for s.dc.BufferedAmount() > bareBufferedHigh {
		select {
		case <-s.low:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.dc.Send(data)
}

// reportPercentiles reports the p50 and p99 (nearest rank) of ds.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	b.ReportMetric(float64(percentile(ds, 0.50)), "p50-ns")
	b.ReportMetric(float64(percentile(ds, 0.99)), "p99-ns")
}

// percentile returns the p-th percentile (nearest rank) of ds, which must
// not be empty.
func percentile(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// benchGuard bounds a benchmark that would hang if the code were broken.
func benchGuard(b *testing.B) context.Context {
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	b.Cleanup(cancel)
	return ctx
}
