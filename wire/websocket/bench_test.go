package websocket_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

var benchSizes = []int{64, 1 << 10, 64 << 10}

// counter counts received messages and signals when it reaches a target.
type counter struct {
	n      atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (c *counter) add() {
	if c.n.Add(1) == c.target.Load() {
		c.done <- struct{}{}
	}
}

func (c *counter) expect(n int64) { c.target.Store(c.n.Load() + n) }

// BenchmarkSend measures the send path: OutprocManager.Send over the
// WebSocket wire (actr) against a bare coder/websocket write loop (bare),
// in the same run, both to the same bare reader that counts messages; the
// clock stops when the last message has been read.
func BenchmarkSend(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB/actr", size), func(b *testing.B) { benchActr(b, size, false) })
		b.Run(fmt.Sprintf("%dB/bare", size), func(b *testing.B) { benchBare(b, size) })
	}
}

// BenchmarkEndToEnd is BenchmarkSend with an actr node receiving: a gate,
// the reader, the per-type inbound queue and a handler.
func BenchmarkEndToEnd(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("%dB/actr", size), func(b *testing.B) { benchActr(b, size, true) })
		b.Run(fmt.Sprintf("%dB/bare", size), func(b *testing.B) { benchBare(b, size) })
	}
}

func benchActr(b *testing.B, size int, node bool) {
	ctx := context.Background()
	cnt := &counter{done: make(chan struct{}, 1)}
	w := newWorld(b)
	if node {
		w.node(b, idB, nodeOpts{handler: transport.HandlerFunc(func(context.Context, transport.Message) { cnt.add() })})
	} else {
		w.dir.set(idB, bareReader(b, cnt))
	}
	a := w.node(b, idA, nodeOpts{noListen: true}).mgr
	dest := transport.Actor(idB)
	payload := make([]byte, size)
	cnt.expect(1)
	if err := a.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
		b.Fatal(err)
	}
	<-cnt.done
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cnt.expect(int64(b.N))
	sw := contextSwitches()
	b.ResetTimer()
	for range b.N {
		if err := a.Send(ctx, dest, protocol.RPCReliable, payload); err != nil {
			b.Fatal(err)
		}
	}
	<-cnt.done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(contextSwitches()-sw)/float64(b.N), "ctxsw/op")
}

// contextSwitches is how many times this process's threads have given up
// or been made to give up their CPU. Per op, it shows how often sender and
// receiver wait for each other: a wake-up on every message costs a
// kernel round trip, and dominates small writes on loopback.
func contextSwitches() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Nvcsw + ru.Nivcsw
}

// bareReader serves a WebSocket endpoint that reads and counts messages,
// and returns its ws:// URL.
func bareReader(b *testing.B, cnt *counter) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := cws.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(1 << 30)
		for {
			if _, _, err := c.Read(context.Background()); err != nil {
				return
			}
			cnt.add()
		}
	}))
	b.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// bareConn dials a bare reader that counts into cnt with a plain
// coder/websocket connection, closed when the benchmark ends.
func bareConn(b *testing.B, cnt *counter) *cws.Conn {
	c, _, err := cws.Dial(context.Background(), bareReader(b, cnt), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func benchBare(b *testing.B, size int) {
	ctx := context.Background()
	cnt := &counter{done: make(chan struct{}, 1)}
	c := bareConn(b, cnt)
	payload := make([]byte, size)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	cnt.expect(int64(b.N))
	sw := contextSwitches()
	b.ResetTimer()
	for range b.N {
		if err := c.Write(ctx, cws.MessageBinary, payload); err != nil {
			b.Fatal(err)
		}
	}
	<-cnt.done
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(contextSwitches()-sw)/float64(b.N), "ctxsw/op")
	_ = c.Close(cws.StatusNormalClosure, "")
}
