package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/rpc/echopb"
	"github.com/actr-go/actr/transport"
)

// benchResult is the outcome of actr bench; --json prints it.
type benchResult struct {
	Mode        string            `json:"mode"`          // "embedded" (a pair in this process) or "remote" (--to)
	RPC         bool              `json:"rpc,omitempty"` // round trips are calls of the echo service (--rpc)
	PayloadType string            `json:"payload_type"`
	Size        int               `json:"size"`        // payload bytes per message
	Concurrency int               `json:"concurrency"` // round trips in flight
	Msgs        uint64            `json:"msgs"`        // round trips completed
	Errors      uint64            `json:"errors"`      // Sends that failed
	Lost        uint64            `json:"lost"`        // sent, no echo within --echo-timeout
	Seconds     float64           `json:"seconds"`
	MsgsPerSec  float64           `json:"msgs_per_sec"`
	MBPerSec    float64           `json:"mb_per_sec"` // payload MB (10^6 B) per second, one way
	P50us       float64           `json:"p50_us"`     // round-trip latency percentiles
	P90us       float64           `json:"p90_us"`
	P99us       float64           `json:"p99_us"`
	MaxUs       float64           `json:"max_us"`
	ConnectMs   float64           `json:"connect_ms"` // first round trip, dial included
	Wires       map[string]uint64 `json:"wires"`      // echoes by the wire kind they came back on
	Interrupted bool              `json:"interrupted,omitempty"`
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("bench", "actr bench [--to ACTORID --signal URL ...] [--wire auto|webrtc|websocket] [--size N] [--duration D | --count N] [--concurrency N] [--json]", stdout, stderr)
	nf := addNodeFlags(f, "acme:actr-bench")
	to := f.String("to", "", "benchmark against this running node (it must echo, as actr node does); empty: an embedded pair in this process")
	ptName := f.String("payload-type", "RPC_RELIABLE", "payload type: RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE or STREAM_LATENCY_FIRST")
	size := f.Int("size", 1024, "payload bytes per message (at least 9)")
	duration := f.Duration("duration", 5*time.Second, "how long to run (unless --count)")
	count := f.Int("count", 0, "run this many round trips instead of --duration")
	concurrency := f.Int("concurrency", 1, "round trips in flight")
	wireChoice := f.String("wire", "auto", "embedded pair: which wires to enable: auto (both; the best ready lane is used), webrtc or websocket")
	asJSON := f.Bool("json", false, "print the result as one JSON object")
	timeout := f.Duration("timeout", 30*time.Second, "bound on registering and connecting")
	echoTimeout := f.Duration("echo-timeout", 5*time.Second, "a message with no echo after this long is counted lost")
	useRPC := f.Bool("rpc", false, "each round trip is a call of the echo service (rpc, route echo.Echo.Say), not a message echoed")
	f.logLevel = "warn"
	f.Lookup("log-level").DefValue = "warn"
	if err := f.parse(args); err != nil {
		return err
	}
	log, _ := f.logger()
	pt, err := protocol.ParsePayloadType(*ptName)
	if err != nil || !pt.IsData() {
		return usageError("--payload-type %q: want RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE or STREAM_LATENCY_FIRST", *ptName)
	}
	switch {
	case *size < 9:
		return usageError("--size %d: at least 9 bytes (a sequence number and a tag)", *size)
	case *concurrency < 1:
		return usageError("--concurrency %d: at least 1", *concurrency)
	case *count < 0:
		return usageError("--count %d: not negative", *count)
	case *count == 0 && *duration <= 0:
		return usageError("--duration must be positive (or give --count)")
	case *wireChoice != "auto" && *wireChoice != "webrtc" && *wireChoice != "websocket":
		return usageError("--wire %q: want auto, webrtc or websocket", *wireChoice)
	case *to != "" && *wireChoice != "auto":
		return usageError("--wire applies to the embedded pair; against a node use --no-webrtc or --ws-url")
	case *useRPC && pt != protocol.RPCReliable && pt != protocol.RPCSignal:
		return usageError("--rpc: calls go on RPC_RELIABLE or RPC_SIGNAL, not %s", pt)
	}

	b := &bench{pt: pt, size: *size, echoTimeout: *echoTimeout, pending: map[uint64]chan transport.WireKind{}, wires: map[transport.WireKind]uint64{}}
	setup, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res := benchResult{PayloadType: pt.String(), Size: *size, Concurrency: *concurrency, RPC: *useRPC}
	if *useRPC {
		b.ep = rpc.New(rpc.Config{Fallback: transport.HandlerFunc(b.received)})
		defer b.ep.Close()
	}
	if *to == "" {
		res.Mode = "embedded"
		p, err := startPair(setup, pairOptions{names: [2]string{"bench", "echo"}, noWebRTC: *wireChoice == "websocket",
			noWS: *wireChoice == "webrtc", health: 5 * time.Second}, log)
		if err != nil {
			return err
		}
		defer p.close()
		if *useRPC {
			server := rpc.New(rpc.Config{Fallback: echoHandler(func() *node.Node { return p.b }, log)})
			defer server.Close()
			echopb.RegisterEchoServer(server, echopb.Service{})
			server.Bind(p.b)
			p.hb.set(server)
			b.ep.Bind(p.a)
			p.ha.set(b.ep)
		} else {
			p.hb.set(echoHandler(func() *node.Node { return p.b }, log))
			p.ha.set(transport.HandlerFunc(b.received))
		}
		b.n, b.dest = p.a, p.b.ID()
	} else {
		res.Mode = "remote"
		if b.dest, err = protocol.ParseActorID(*to); err != nil {
			return usageError("--to: %v", err)
		}
		cfg, err := nf.config(log)
		if err != nil {
			return err
		}
		cfg.Handler = transport.HandlerFunc(b.received)
		if b.ep != nil {
			cfg.Handler = b.ep
		}
		cfg.HealthCheckInterval = 5 * time.Second
		n, err := node.Start(setup, cfg)
		err = explainRegistration(err, cfg)
		if err != nil {
			return err
		}
		defer func() { _ = closeNode(n) }()
		b.n = n
		if b.ep != nil {
			b.ep.Bind(n)
		}
	}

	// The first round trip connects.
	t0 := time.Now()
	if _, err := b.roundTrip(setup); errors.Is(err, errLost) {
		return fmt.Errorf("no echo from %s within %s (--echo-timeout): does it echo, as actr node does?", b.dest, *echoTimeout)
	} else if err != nil {
		return explainSendError(b.dest, err)
	}
	res.ConnectMs = float64(time.Since(t0)) / float64(time.Millisecond)
	b.reset()
	b.onFirst = benchFirstRoundTrip

	run, stop := context.WithCancel(ctx)
	defer stop()
	if *count == 0 {
		var c context.CancelFunc
		run, c = context.WithTimeout(run, *duration)
		defer c()
	}
	progress := startProgress(stderr, b)
	start := time.Now()
	var wg sync.WaitGroup
	var budget atomic.Int64
	budget.Store(int64(*count))
	for range *concurrency {
		wg.Go(func() {
			for run.Err() == nil {
				if *count > 0 && budget.Add(-1) < 0 {
					return
				}
				if _, err := b.roundTrip(run); err != nil && run.Err() == nil {
					if !errors.Is(err, errLost) {
						b.errors.Add(1)
						log.Warn("send failed", "err", err)
					}
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	progress.stop()
	res.Interrupted = ctx.Err() != nil
	b.fill(&res, elapsed)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printBench(stdout, res)
	}
	if res.Msgs == 0 {
		return fmt.Errorf("no round trip completed (%d errors, %d lost)", res.Errors, res.Lost)
	}
	return nil
}

// benchFirstRoundTrip, when set (by tests), is called once the first
// timed round trip has completed.
var benchFirstRoundTrip func()

// errLost: no echo within the echo timeout.
var errLost = errors.New("no echo")

type bench struct {
	n           *node.Node
	ep          *rpc.Endpoint // --rpc: round trips are calls
	dest        protocol.ActorID
	pt          protocol.PayloadType
	size        int
	echoTimeout time.Duration

	seq          atomic.Uint64
	errors, lost atomic.Uint64
	done         atomic.Uint64 // for the progress line
	onFirst      func()        // called once, at the first timed round trip

	mu      sync.Mutex
	pending map[uint64]chan transport.WireKind
	rtts    []time.Duration
	wires   map[transport.WireKind]uint64
}

func (b *bench) roundTrip(ctx context.Context) (time.Duration, error) {
	if b.ep != nil {
		return b.call(ctx)
	}
	seq := b.seq.Add(1)
	ch := make(chan transport.WireKind, 1)
	b.mu.Lock()
	b.pending[seq] = ch
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, seq)
		b.mu.Unlock()
	}()
	data := make([]byte, b.size)
	binary.BigEndian.PutUint64(data, seq)
	start := time.Now()
	if err := b.n.Send(ctx, b.dest, b.pt, data); err != nil {
		return 0, err
	}
	t := time.NewTimer(b.echoTimeout)
	defer t.Stop()
	select {
	case k := <-ch:
		rtt := time.Since(start)
		b.mu.Lock()
		b.rtts = append(b.rtts, rtt)
		b.wires[k]++
		b.mu.Unlock()
		if b.done.Add(1) == 1 && b.onFirst != nil {
			b.onFirst()
		}
		return rtt, nil
	case <-t.C:
		b.lost.Add(1)
		return 0, errLost
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// call is one round trip of --rpc: a call of the echo service.
func (b *bench) call(ctx context.Context) (time.Duration, error) {
	data := make([]byte, b.size)
	binary.BigEndian.PutUint64(data, b.seq.Add(1))
	req, err := proto.Marshal(&echopb.SayRequest{Payload: data})
	if err != nil {
		return 0, err
	}
	cctx, cancel := context.WithTimeout(ctx, b.echoTimeout)
	defer cancel()
	var info rpc.ResponseInfo
	start := time.Now()
	_, err = b.ep.Call(cctx, b.dest, echopb.Echo_Say_Route, req, rpc.OnLane(b.pt), rpc.WithResponseInfo(&info))
	rtt := time.Since(start)
	switch {
	case err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
		b.lost.Add(1)
		return 0, errLost
	case err != nil:
		return 0, err
	}
	b.mu.Lock()
	b.rtts = append(b.rtts, rtt)
	b.wires[info.Wire]++
	b.mu.Unlock()
	if b.done.Add(1) == 1 && b.onFirst != nil {
		b.onFirst()
	}
	return rtt, nil
}

// received matches an echo to its round trip.
func (b *bench) received(_ context.Context, m transport.Message) {
	if m.From != b.dest || len(m.Data) < 8 {
		return
	}
	seq := binary.BigEndian.Uint64(m.Data)
	b.mu.Lock()
	ch := b.pending[seq]
	b.mu.Unlock()
	if ch != nil {
		select {
		case ch <- m.Wire:
		default:
		}
	}
}

// reset forgets the warm-up round trip.
func (b *bench) reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.rtts = b.rtts[:0]
	clear(b.wires)
	b.done.Store(0)
	b.errors.Store(0)
	b.lost.Store(0)
}

func (b *bench) fill(r *benchResult, elapsed time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r.Msgs, r.Errors, r.Lost = uint64(len(b.rtts)), b.errors.Load(), b.lost.Load()
	r.Seconds = elapsed.Seconds()
	if r.Seconds > 0 {
		r.MsgsPerSec = float64(r.Msgs) / r.Seconds
		r.MBPerSec = r.MsgsPerSec * float64(r.Size) / 1e6
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	s := slices.Clone(b.rtts)
	slices.Sort(s)
	if len(s) > 0 {
		r.P50us, r.P90us, r.P99us, r.MaxUs = us(percentile(s, 50)), us(percentile(s, 90)), us(percentile(s, 99)), us(s[len(s)-1])
	}
	r.Wires = map[string]uint64{}
	for k, n := range b.wires {
		r.Wires[k.String()] = n
	}
}

func printBench(w io.Writer, r benchResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "mode\t%s\n", r.Mode)
	fmt.Fprintf(tw, "payload\t%s, %d B, %d in flight\n", r.PayloadType, r.Size, r.Concurrency)
	wires := ""
	for _, k := range []string{"webrtc", "websocket"} {
		if n := r.Wires[k]; n > 0 {
			wires += fmt.Sprintf("%s %d  ", k, n)
		}
	}
	fmt.Fprintf(tw, "echoes over\t%s\n", wires)
	fmt.Fprintf(tw, "round trips\t%d in %.2fs (%d errors, %d lost)\n", r.Msgs, r.Seconds, r.Errors, r.Lost)
	fmt.Fprintf(tw, "throughput\t%.0f msgs/s, %.2f MB/s one way\n", r.MsgsPerSec, r.MBPerSec)
	fmt.Fprintf(tw, "round trip\tp50 %.0fµs  p90 %.0fµs  p99 %.0fµs  max %.0fµs\n", r.P50us, r.P90us, r.P99us, r.MaxUs)
	fmt.Fprintf(tw, "connect\t%.2fms (first round trip)\n", r.ConnectMs)
	if r.Interrupted {
		fmt.Fprintf(tw, "note\tinterrupted: the figures cover the run so far\n")
	}
	_ = tw.Flush()
}

// progress redraws one status line on a terminal.
type progress struct {
	stopCh chan struct{}
	done   chan struct{}
}

func startProgress(w io.Writer, b *bench) *progress {
	p := &progress{stopCh: make(chan struct{}), done: make(chan struct{})}
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		close(p.done)
		return p
	}
	go func() {
		defer close(p.done)
		start := time.Now()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stopCh:
				fmt.Fprint(f, "\r\033[K")
				return
			case <-t.C:
				el := time.Since(start).Seconds()
				n := b.done.Load()
				fmt.Fprintf(f, "\r\033[K%5.1fs  %d round trips  %.0f/s", el, n, float64(n)/el)
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	close(p.stopCh)
	<-p.done
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
