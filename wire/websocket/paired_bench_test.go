package websocket_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// BenchmarkSendPaired is BenchmarkSend's throughput comparison with both
// sides in one benchmark: OutprocManager.Send over the WebSocket wire and a
// bare coder/websocket write loop, each to its own bare reader, take turns
// in bursts of a few milliseconds (which side goes first alternates), so
// that whatever else the machine is doing falls on both alike. Separate
// runs of BenchmarkSend drift by more than the difference being measured.
// b.N messages go each way. Reported: each side's ns per message, and
// bare/actr, the issue-7 ratio (goal >= 0.95; 1 means actr is as fast).
func BenchmarkSendPaired(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) { benchPaired(b, size) })
	}
}

func benchPaired(b *testing.B, size int) {
	ctx := context.Background()
	w := newWorld(b)
	actrCnt := &counter{done: make(chan struct{}, 1)}
	w.dir.set(idB, bareReader(b, actrCnt))
	mgr := w.node(b, idA, nodeOpts{noListen: true}).mgr
	dest := transport.Actor(idB)
	bareCnt := &counter{done: make(chan struct{}, 1)}
	c := bareConn(b, bareCnt)
	payload := make([]byte, size)
	sendActr := func() error { return mgr.Send(ctx, dest, protocol.RPCReliable, payload) }
	sendBare := func() error { return c.Write(ctx, cws.MessageBinary, payload) }
	// Both connected and warm before the clock starts.
	burst(b, sendActr, actrCnt, 10)
	burst(b, sendBare, bareCnt, 10)
	per := 1000 // a few ms of small messages
	if size > smallBurstLimit {
		per = 50
	}
	var actr, bare time.Duration
	b.SetBytes(int64(size))
	b.ResetTimer()
	for done, round := 0, 0; done < b.N; round++ {
		k := min(per, b.N-done)
		if round%2 == 0 {
			actr += burst(b, sendActr, actrCnt, k)
			bare += burst(b, sendBare, bareCnt, k)
		} else {
			bare += burst(b, sendBare, bareCnt, k)
			actr += burst(b, sendActr, actrCnt, k)
		}
		done += k
	}
	b.StopTimer()
	b.ReportMetric(float64(actr.Nanoseconds())/float64(b.N), "actr-ns/msg")
	b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/msg")
	b.ReportMetric(float64(bare)/float64(actr), "bare/actr")
}

// smallBurstLimit is the largest message sent in bursts of 1,000.
const smallBurstLimit = 4 << 10

// burst sends k messages and returns how long until the reader had them
// all.
func burst(b *testing.B, send func() error, cnt *counter, k int) time.Duration {
	cnt.expect(int64(k))
	start := time.Now()
	for range k {
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	<-cnt.done
	return time.Since(start)
}
