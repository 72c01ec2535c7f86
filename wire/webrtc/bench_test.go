package webrtc_test

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// Every benchmark compares the WebRTC wire (actr) with what a pion user
// writes by hand (bare) in the same run, on loopback, with the same
// SettingEngine choices except that actr detaches its data channels,
// asks for larger UDP socket buffers (Config.UDPSocketBuffer) and offers
// SCTP zero checksums (Config.SCTPChecksums).
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
	// The same with the operating system's socket buffers, as bare has
	// (Config.UDPSocketBuffer -1): what actr's larger default buys.
	for _, sz := range sendSizes {
		cfg := benchConfig()
		cfg.UDPSocketBuffer = -1
		b.Run("actr-osbuf/"+sz.name, func(b *testing.B) { benchSendActr(b, sz.size, cfg) })
	}
	for _, sz := range sendSizes {
		b.Run("bare/"+sz.name, func(b *testing.B) { benchSendBare(b, sz.size) })
	}
}

func benchSendActr(b *testing.B, size int, cfg webrtc.Config) {
	ctx := benchGuard(b)
	send, cnt := actrSendPair(b, ctx, size, cfg)
	timeSends(b, ctx, size, send, cnt)
}

func benchSendBare(b *testing.B, size int) {
	ctx := benchGuard(b)
	send, cnt := bareSendPair(b, ctx, size)
	timeSends(b, ctx, size, send, cnt)
}

// actrSendPair connects two nodes over the WebRTC wire and returns a Send
// of size bytes from one to the other, and the counter of the bytes the
// receiver's handler has had. The first message, already sent and
// received, connected them.
func actrSendPair(b *testing.B, ctx context.Context, size int, cfg webrtc.Config) (send func() error, cnt *byteCounter) {
	url := startSignaling(b)
	cnt = newByteCounter()
	a := newNode(b, ctx, url, nodeOpts{cfg: &cfg})
	rx := newNode(b, ctx, url, nodeOpts{cfg: &cfg, mgrOpts: []transport.Option{transport.WithHandler(cnt.handler())}})
	dest := transport.Actor(rx.id)
	payload := make([]byte, size)
	send = func() error { return a.mgr.Send(ctx, dest, protocol.RPCReliable, payload) }
	cnt.expect(int64(size))
	if err := send(); err != nil {
		b.Fatal(err)
	}
	cnt.wait(b, ctx)
	return send, cnt
}

// bareSendPair is actrSendPair for a bare pion pair: the send is dc.Send
// with the flow control a pion user writes.
func bareSendPair(b *testing.B, ctx context.Context, size int) (send func() error, cnt *byteCounter) {
	cnt = newByteCounter()
	p, err := newBarePair(bareAPI(), func(m pion.DataChannelMessage) { cnt.add(len(m.Data)) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(p.close)
	if err := p.waitOpen(ctx); err != nil {
		b.Fatal(err)
	}
	s := newBareSender(p.dc)
	payload := make([]byte, size)
	send = func() error { return s.send(ctx, payload) }
	cnt.expect(int64(size))
	if err := send(); err != nil {
		b.Fatal(err)
	}
	cnt.wait(b, ctx)
	return send, cnt
}

// timeSends times b.N sends of size bytes, until the receiver has every
// byte.
func timeSends(b *testing.B, ctx context.Context, size int, send func() error, cnt *byteCounter) {
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cnt.expect(int64(b.N) * int64(size))
	b.ResetTimer()
	for range b.N {
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	cnt.wait(b, ctx)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkSendPaired is BenchmarkSend's comparison of actr (default
// Config) and bare in one benchmark: both pairs connected in one process
// take turns in bursts of about 1 MiB (which goes first alternates), each
// burst timed until its receiver has every byte, so that what else the
// machine is doing falls on both alike. Separate runs of BenchmarkSend
// drifted by more than the difference being measured (64 KiB: 1.7 to
// 3.1 ms per message across the rounds of one run, for either side).
// b.N messages go each way. Reported: each side's ns per message and
// bare/actr over all bursts (the issue-7 ratio, goal >= 0.95);
// bare/actr-p50, the same for the median burst of each side; and each
// side's stalled bursts, those over 4 times its median. On loopback with
// the OS-default socket buffers (bare's), datagrams are dropped, and a
// burst that loses retransmissions stalls while pion's SCTP recovers them
// one tail-loss probe at a time, taking many times as long as the others
// (see webrtc.DefaultUDPSocketBuffer): one such stall can decide a run,
// and the median burst and the stall counts tell that apart from a cost
// per message.
// On Linux each side's UDP datagrams per message and receive-buffer drops
// are reported too.
func BenchmarkSendPaired(b *testing.B) {
	for _, sz := range sendSizes {
		b.Run(sz.name, func(b *testing.B) { benchSendPaired(b, sz.size) })
	}
}

func benchSendPaired(b *testing.B, size int) {
	ctx := benchGuard(b)
	// Each pair's goroutines carry a side label (pion's and actr's are
	// started during set-up and inherit it): -tagfocus side=actr or
	// side=bare splits a -cpuprofile between the two.
	var sendActr, sendBare func() error
	var actrCnt, bareCnt *byteCounter
	pprof.Do(ctx, pprof.Labels("side", "actr"), func(ctx context.Context) { sendActr, actrCnt = actrSendPair(b, ctx, size, benchConfig()) })
	pprof.Do(ctx, pprof.Labels("side", "bare"), func(ctx context.Context) { sendBare, bareCnt = bareSendPair(b, ctx, size) })
	per := max(1, (1<<20)/size)
	burst := func(send func() error, cnt *byteCounter, k int, tot *burstTotals) time.Duration {
		cnt.expect(int64(k) * int64(size))
		before := readUDPCounts()
		cpu0, _ := processCPU()
		start := time.Now()
		for range k {
			if err := send(); err != nil {
				b.Fatal(err)
			}
		}
		cnt.wait(b, ctx)
		d := time.Since(start)
		cpu1, _ := processCPU()
		tot.udp.add(readUDPCounts(), before)
		tot.cpu += cpu1 - cpu0
		return d
	}
	var actr, bare time.Duration
	var actrPer, barePer []time.Duration // per message, of each burst
	var actrTot, bareTot burstTotals     // over each side's bursts
	b.SetBytes(int64(size))
	b.ResetTimer()
	for done, round := 0, 0; done < b.N; round++ {
		k := min(per, b.N-done)
		var a, r time.Duration
		if round%2 == 0 {
			a = burst(sendActr, actrCnt, k, &actrTot)
			r = burst(sendBare, bareCnt, k, &bareTot)
		} else {
			r = burst(sendBare, bareCnt, k, &bareTot)
			a = burst(sendActr, actrCnt, k, &actrTot)
		}
		actr, bare = actr+a, bare+r
		actrPer, barePer = append(actrPer, a/time.Duration(k)), append(barePer, r/time.Duration(k))
		done += k
	}
	b.StopTimer()
	b.ReportMetric(float64(actr.Nanoseconds())/float64(b.N), "actr-ns/msg")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/msg")
	b.ReportMetric(float64(bare)/float64(actr), "bare/actr")
	b.ReportMetric(float64(percentile(barePer, 0.5))/float64(percentile(actrPer, 0.5)), "bare/actr-p50")
	b.ReportMetric(float64(stalls(actrPer)), "actr-stalls")
	b.ReportMetric(float64(stalls(barePer)), "bare-stalls")
	if _, ok := processCPU(); ok {
		// CPU time per message, and the share of the 2 (GOMAXPROCS) CPUs
		// the process kept busy: a side that costs no more CPU per message
		// but takes longer spent the difference waiting.
		b.ReportMetric(float64(actrTot.cpu.Nanoseconds())/float64(b.N), "actr-cpu-ns/msg")
		b.ReportMetric(float64(bareTot.cpu.Nanoseconds())/float64(b.N), "bare-cpu-ns/msg")
		procs := float64(runtime.GOMAXPROCS(0))
		b.ReportMetric(float64(actrTot.cpu)/float64(actr)/procs, "actr-cpu-busy")
		b.ReportMetric(float64(bareTot.cpu)/float64(bare)/procs, "bare-cpu-busy")
	}
	if readUDPCounts().ok {
		b.ReportMetric(float64(actrTot.udp.drops), "actr-udp-drops")
		b.ReportMetric(float64(bareTot.udp.drops), "bare-udp-drops")
		b.ReportMetric(float64(actrTot.udp.out)/float64(b.N), "actr-udp-out/msg")
		b.ReportMetric(float64(bareTot.udp.out)/float64(b.N), "bare-udp-out/msg")
	}
}

// udpCounts are the host's UDP counters (Linux: /proc/net/snmp): datagrams
// sent, and datagrams dropped because a socket's receive buffer was full.
// They count every process: the bursts of the paired benchmark run one at
// a time, so each side's bursts see their own datagrams (both directions:
// both ends are in this process), plus whatever the machine's other
// tenants send and lose meanwhile.
type udpCounts struct {
	out, drops int64
	ok         bool // read: Linux, and the fields were found
}

// burstTotals sums what one side's bursts of the paired benchmark cost:
// the host's UDP counters and this process's CPU time.
type burstTotals struct {
	udp udpCounts
	cpu time.Duration
}

// add adds now-before to c.
func (c *udpCounts) add(now, before udpCounts) {
	c.out += now.out - before.out
	c.drops += now.drops - before.drops
}

func readUDPCounts() udpCounts {
	b, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return udpCounts{}
	}
	var names []string
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != "Udp:" {
			continue
		}
		if names == nil {
			names = f
			continue
		}
		var c udpCounts
		found := 0
		for i, n := range names {
			if i >= len(f) || (n != "OutDatagrams" && n != "RcvbufErrors") {
				continue
			}
			v, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				return udpCounts{}
			}
			if n == "OutDatagrams" {
				c.out = v
			} else {
				c.drops = v
			}
			found++
		}
		c.ok = found == 2
		return c
	}
	return udpCounts{}
}

// stalls counts the bursts of ds over 4 times their median.
func stalls(ds []time.Duration) int {
	m, n := percentile(ds, 0.5), 0
	for _, d := range ds {
		if d > 4*m {
			n++
		}
	}
	return n
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
