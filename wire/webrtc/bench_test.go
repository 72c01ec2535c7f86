package webrtc_test

import (
	"context"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// Every benchmark compares the WebRTC wire (actr) with what a pion user
// writes by hand (bare) in the same run, on loopback, with the same
// SettingEngine choices except that actr detaches its data channels.
// scripts/bench-webrtc.sh runs them interleaved and prints the ratios.

var sendSizes = []struct {
	name string
	size int
}{
	{"1KiB", 1 << 10},
	// actr sends 64 KiB as two data channel messages (an 8-byte fragment
	// header per chunk of at most 65527 bytes); bare sends it as one.
	{"64KiB", 64 << 10},
}

// BenchmarkSend measures throughput: RPC_RELIABLE messages from node a to
// node b over a connected WebRTC wire (OutprocManager.Send, b's handler
// counts the bytes) against a bare pion pair (dc.Send in a loop with
// BufferedAmount flow control at the same marks, OnMessage counts the
// bytes). The clock stops when the receiver has every byte.
func BenchmarkSend(b *testing.B) {
	for _, sz := range sendSizes {
		b.Run("actr/"+sz.name, func(b *testing.B) { benchSendActr(b, sz.size, benchConfig()) })
	}
	// The same with the shared UDP sockets and 4 MiB kernel buffers
	// (Config.UDPMux, UDPSocketBuffer): on loopback the default buffers
	// drop packets under load, and SCTP backs off.
	for _, sz := range sendSizes {
		cfg := benchConfig()
		cfg.UDPMux, cfg.UDPSocketBuffer = true, 4<<20
		b.Run("actr-mux4MiB/"+sz.name, func(b *testing.B) { benchSendActr(b, sz.size, cfg) })
	}
	for _, sz := range sendSizes {
		b.Run("bare/"+sz.name, func(b *testing.B) { benchSendBare(b, sz.size) })
	}
}

func benchSendActr(b *testing.B, size int, cfg webrtc.Config) {
	ctx := benchGuard(b)
	url := startSignaling(b)
	cnt := newByteCounter()
	a := newNode(b, ctx, url, nodeOpts{cfg: &cfg})
	rx := newNode(b, ctx, url, nodeOpts{cfg: &cfg, mgrOpts: []transport.Option{transport.WithHandler(cnt.handler())}})
	dest := transport.Actor(rx.id)
	payload := make([]byte, size)
	// The first message connects.
	cnt.expect(int64(size))
	if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
		b.Fatal(err)
	}
	cnt.wait(b, ctx)

	b.SetBytes(int64(size))
	b.ReportAllocs()
	cnt.expect(int64(b.N) * int64(size))
	b.ResetTimer()
	for range b.N {
		if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
			b.Fatal(err)
		}
	}
	cnt.wait(b, ctx)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func benchSendBare(b *testing.B, size int) {
	ctx := benchGuard(b)
	cnt := newByteCounter()
	p, err := newBarePair(bareAPI(), func(m pion.DataChannelMessage) { cnt.add(len(m.Data)) })
	if err != nil {
		b.Fatal(err)
	}
	defer p.close()
	if err := p.waitOpen(ctx); err != nil {
		b.Fatal(err)
	}
	s := newBareSender(p.dc)
	payload := make([]byte, size)
	cnt.expect(int64(size))
	if err := s.send(ctx, payload); err != nil {
		b.Fatal(err)
	}
	cnt.wait(b, ctx)

	b.SetBytes(int64(size))
	b.ReportAllocs()
	cnt.expect(int64(b.N) * int64(size))
	b.ResetTimer()
	for range b.N {
		if err := s.send(ctx, payload); err != nil {
			b.Fatal(err)
		}
	}
	cnt.wait(b, ctx)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkColdConnect measures the time from nothing to a delivered
// first message. actr: two fresh nodes, registered with the signaling
// server outside the clock; timed from a's first Send to b until b's
// handler has it (role negotiation through signaling, offer/answer,
// trickle ICE, DTLS, SCTP, the data channels open). bare: two fresh pion
// PeerConnections, offer/answer and candidates passed in memory, timed
// until the data channel is open on both sides and one message arrived.
// ns/op is the mean; p50-ns and p99-ns the percentiles of the iterations.
// Run with -benchtime 50x.
func BenchmarkColdConnect(b *testing.B) {
	b.Run("actr", benchConnectActr)
	b.Run("bare", benchConnectBare)
}

func benchConnectActr(b *testing.B) {
	ctx := benchGuard(b)
	url := startSignaling(b)
	cfg := benchConfig()
	msg := []byte("hello")
	ds := make([]time.Duration, 0, b.N)
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		cnt := newByteCounter()
		// No event log (noEvents): this benchmark reads no events, and
		// each log's 8192-event buffer (about 1.1 MiB) stays reachable
		// through the node's cleanup until the benchmark ends, so two per
		// iteration grew the heap to about 100 MiB in 50 iterations and
		// the garbage collector's longer and longer mark phases landed in
		// the timed connects (the slowest ones, that is p99). The bare
		// pair has no such test scaffolding.
		a := newNode(b, ctx, url, nodeOpts{cfg: &cfg, noEvents: true})
		rx := newNode(b, ctx, url, nodeOpts{cfg: &cfg, noEvents: true, mgrOpts: []transport.Option{transport.WithHandler(cnt.handler())}})
		cnt.expect(int64(len(msg)))
		dest := transport.Actor(rx.id)

		b.StartTimer()
		start := time.Now()
		if err := a.mgr.Send(ctx, dest, protocol.RPCReliable, msg); err != nil {
			b.Fatal(err)
		}
		cnt.wait(b, ctx)
		ds = append(ds, time.Since(start))
		b.StopTimer()

		a.close()
		rx.close()
	}
	reportPercentiles(b, ds)
}

func benchConnectBare(b *testing.B) {
	ctx := benchGuard(b)
	api := bareAPI()
	msg := []byte("hello")
	ds := make([]time.Duration, 0, b.N)
	b.StopTimer()
	b.ResetTimer()
	for range b.N {
		d, err := connectBare(ctx, b, api, msg)
		if err != nil {
			b.Fatal(err)
		}
		ds = append(ds, d)
	}
	reportPercentiles(b, ds)
}

// connectBare connects one bare pair, with the clock running, and closes
// it with the clock stopped.
func connectBare(ctx context.Context, b *testing.B, api *pion.API, msg []byte) (time.Duration, error) {
	cnt := newByteCounter()
	cnt.expect(int64(len(msg)))
	b.StartTimer()
	start := time.Now()
	p, err := newBarePair(api, func(m pion.DataChannelMessage) { cnt.add(len(m.Data)) })
	if err != nil {
		b.StopTimer()
		return 0, err
	}
	defer p.close()
	defer b.StopTimer()
	select {
	case <-p.opened:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if err := p.dc.Send(msg); err != nil {
		return 0, err
	}
	select {
	case <-cnt.done:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if err := p.waitOpen(ctx); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
