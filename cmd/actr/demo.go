package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// The demo: an embedded signaling server and two nodes, alice and bob, in
// this process on 127.0.0.1. Alice reaches bob over WebRTC and WebSocket
// at once, sends every data payload type (bob echoes), cuts the WebRTC
// wire to show the fallback to WebSocket, runs a health check to
// bring WebRTC back, and prints a summary.

// demoSizes is the payload size of each data payload type in the demo.
var demoSizes = map[protocol.PayloadType]int{
	protocol.RPCReliable:        256,
	protocol.RPCSignal:          64,
	protocol.StreamReliable:     16 << 10,
	protocol.StreamLatencyFirst: 1 << 10,
}

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("demo", "actr demo [--messages N] [--timeout D] | actr demo --browser [--listen ADDR] [--web-dir DIR]", stdout, stderr)
	perType := f.Int("messages", 20, "round trips per payload type in each phase")
	timeout := f.Duration("timeout", 30*time.Second, "fail if the demo takes longer")
	browser := f.Bool("browser", false, "serve a chat page where a person talks to a Go node from a browser, until interrupted (see --listen, --web-dir)")
	listen := f.String("listen", "127.0.0.1:8080", "with --browser: the page's address")
	webDir := f.String("web-dir", "web", "with --browser: the repository's web/ folder, after `npm ci` in it")
	f.logLevel = "warn" // the demo's own output is on stdout
	f.Lookup("log-level").DefValue = "warn"
	if err := f.parse(args); err != nil {
		return err
	}
	if *perType < 1 {
		return usageError("--messages must be at least 1")
	}
	log, _ := f.logger()
	if *browser {
		return runBrowserDemo(ctx, *listen, *webDir, stdout, log)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	d := &demo{out: stdout, perType: *perType, stats: map[laneKey]*laneStats{}, pending: map[uint64]chan echo{}}
	err := d.run(ctx, log)
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (the demo's --timeout is %s)", err, *timeout)
	}
	return err
}

type demo struct {
	out     io.Writer
	perType int

	alice, bob *node.Node
	aliceEv    *transport.Subscription
	bobEv      *transport.Subscription

	mu      sync.Mutex
	seq     uint64
	pending map[uint64]chan echo
	stats   map[laneKey]*laneStats
	connect map[transport.WireKind]time.Duration
	dropped int // latency-first messages that got no echo
}

type laneKey struct {
	pt   protocol.PayloadType
	wire transport.WireKind
}

type laneStats struct {
	msgs, bytes int
	rtts        []time.Duration
}

// echo is bob's answer: the wire alice's message came in on, and the wire
// the answer came back on.
type echo struct {
	out, back transport.WireKind
	at        time.Time
}

func (d *demo) step(format string, a ...any) {
	fmt.Fprintf(d.out, "\n== "+format+"\n", a...)
}

func (d *demo) run(ctx context.Context, log *slog.Logger) error {
	d.step("starting a signaling server and two nodes on 127.0.0.1")
	// No periodic health checker: the demo runs the check itself when it
	// is time to heal, so the WebRTC-down phase cannot race a re-dial.
	p, err := startPair(ctx, pairOptions{names: [2]string{"alice", "bob"}, health: -1}, log)
	if err != nil {
		return err
	}
	defer p.close()
	d.alice, d.bob = p.a, p.b
	p.hb.set(echoHandler(func() *node.Node { return d.bob }, log))
	p.ha.set(transport.HandlerFunc(d.received))
	fmt.Fprintf(d.out, "signaling  %s\n", p.url())
	for _, n := range []*node.Node{d.bob, d.alice} {
		fmt.Fprintf(d.out, "%-10s %s  gate %s\n", n.ID().Name, n.ID(), n.GateURL())
	}
	d.aliceEv = d.alice.Manager().Subscribe(1024)
	defer d.aliceEv.Close()
	d.bobEv = d.bob.Manager().Subscribe(1024)
	defer d.bobEv.Close()

	if err := d.connectBoth(ctx); err != nil {
		return err
	}
	if err := d.phase(ctx, "every data payload type, both wires up", transport.WireWebRTC); err != nil {
		return err
	}
	if err := d.cutWebRTC(ctx); err != nil {
		return err
	}
	if err := d.phase(ctx, "every data payload type, WebRTC down", transport.WireWebSocket); err != nil {
		return err
	}
	if err := d.awaitRecovery(ctx); err != nil {
		return err
	}
	if err := d.phase(ctx, "every data payload type, WebRTC back", transport.WireWebRTC); err != nil {
		return err
	}
	d.summary()
	return nil
}

// connectBoth makes alice's transport to bob and waits until both of its
// wires are ready at both ends.
func (d *demo) connectBoth(ctx context.Context) error {
	d.step("connecting alice to bob over WebRTC and WebSocket at once")
	t0 := time.Now()
	if _, err := d.alice.Manager().GetOrCreateTransport(ctx, transport.Actor(d.bob.ID())); err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	d.connect = map[transport.WireKind]time.Duration{}
	both := []transport.WireKind{transport.WireWebRTC, transport.WireWebSocket}
	err := d.await(ctx, d.aliceEv, "alice's wires to bob to be ready", func(ev transport.Event) bool {
		if isReady(ev, d.bob.ID()) {
			if _, seen := d.connect[ev.WireKind]; !seen {
				d.connect[ev.WireKind] = ev.Time.Sub(t0)
				fmt.Fprintf(d.out, "%-10s ready in %s\n", ev.WireKind, fmtDuration(d.connect[ev.WireKind]))
			}
		}
		return len(d.connect) == len(both)
	})
	if err != nil {
		return err
	}
	return d.awaitAdopted(ctx, both...)
}

// awaitAdopted waits until bob has adopted alice's wires of the given kinds.
func (d *demo) awaitAdopted(ctx context.Context, kinds ...transport.WireKind) error {
	seen := map[transport.WireKind]bool{}
	return d.await(ctx, d.bobEv, "bob to accept alice's wires", func(ev transport.Event) bool {
		if isReady(ev, d.alice.ID()) {
			seen[ev.WireKind] = true
		}
		for _, k := range kinds {
			if !seen[k] {
				return false
			}
		}
		return true
	})
}

func isReady(ev transport.Event, peer protocol.ActorID) bool {
	return ev.Kind == transport.EventWireStateChanged && ev.State == transport.WireReady && ev.Dest == transport.Actor(peer)
}

// await reads sub until done says so.
func (d *demo) await(ctx context.Context, sub *transport.Subscription, what string, done func(transport.Event) bool) error {
	for {
		select {
		case ev, ok := <-sub.Events():
			if !ok {
				return fmt.Errorf("waiting for %s: the event stream ended", what)
			}
			if done(ev) {
				return nil
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// cutWebRTC closes alice's WebRTC connection to bob, as a broken network
// would, and waits for the pool to notice.
func (d *demo) cutWebRTC(ctx context.Context) error {
	d.step("cutting the WebRTC wire (closing alice's PeerConnection to bob)")
	c, ok := d.alice.Coordinator().Conn(d.bob.ID())
	if !ok {
		return errors.New("cutting WebRTC: alice has no WebRTC connection to bob")
	}
	t0 := time.Now()
	_ = c.Close()
	err := d.await(ctx, d.aliceEv, "the WebRTC wire to go down", func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.WireID == c.ID() &&
			(ev.State == transport.WireFailed || ev.State == transport.WireClosed)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "webrtc     down at alice after %s\n", fmtDuration(time.Since(t0)))
	// Until bob sees it too, his echoes would go into the dead
	// connection: the loss a real cut causes, reported by the wire's
	// failure, which the demo waits out.
	err = d.await(ctx, d.bobEv, "bob to see the WebRTC wire go down", func(ev transport.Event) bool {
		return ev.Kind == transport.EventWireStateChanged && ev.WireKind == transport.WireWebRTC && ev.Dest == transport.Actor(d.alice.ID()) &&
			(ev.State == transport.WireFailed || ev.State == transport.WireClosed)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "webrtc     down at bob after %s; the WebSocket wire carries on\n", fmtDuration(time.Since(t0)))
	return nil
}

// awaitRecovery runs a health check, which re-dials WebRTC, and waits for it and bob to
// accept it.
func (d *demo) awaitRecovery(ctx context.Context) error {
	d.step("running a health check: it re-dials the failed WebRTC wire")
	t0 := time.Now()
	d.alice.Manager().CheckHealth()
	err := d.await(ctx, d.aliceEv, "WebRTC to come back", func(ev transport.Event) bool {
		return isReady(ev, d.bob.ID()) && ev.WireKind == transport.WireWebRTC
	})
	if err != nil {
		return err
	}
	if err := d.awaitAdopted(ctx, transport.WireWebRTC); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "webrtc     ready again after %s\n", fmtDuration(time.Since(t0)))
	return nil
}

// phase makes perType round trips of every data payload type and checks
// alice's messages left on the wire kind want.
func (d *demo) phase(ctx context.Context, title string, want transport.WireKind) error {
	d.step("%s", title)
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "payload type\tsize\tmessages\talice→bob\tbob→alice\tround trip p50")
	for _, pt := range protocol.DataPayloadTypes() {
		var rtts []time.Duration
		var outs, backs []transport.WireKind
		for range d.perType {
			e, rtt, err := d.roundTrip(ctx, pt)
			if errors.Is(err, errDropped) {
				d.dropped++
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", title, err)
			}
			if e.out != want {
				return fmt.Errorf("%s: a %s message went over %s, want %s", title, pt, e.out, want)
			}
			rtts = append(rtts, rtt)
			outs = appendKind(outs, e.out)
			backs = appendKind(backs, e.back)
		}
		fmt.Fprintf(tw, "%s\t%d B\t%d\t%s\t%s\t%s\n", pt, demoSizes[pt], d.perType, kinds(outs), kinds(backs), fmtDuration(percentile(rtts, 50)))
	}
	return tw.Flush()
}

func appendKind(ks []transport.WireKind, k transport.WireKind) []transport.WireKind {
	if !slices.Contains(ks, k) {
		ks = append(ks, k)
	}
	return ks
}

func kinds(ks []transport.WireKind) string {
	s := ""
	for i, k := range ks {
		if i > 0 {
			s += "+"
		}
		s += k.String()
	}
	return s
}

// errDropped: a latency-first message or its echo was dropped.
var errDropped = errors.New("dropped")

// roundTrip sends one message of type pt from alice to bob and waits for
// the echo.
func (d *demo) roundTrip(ctx context.Context, pt protocol.PayloadType) (echo, time.Duration, error) {
	d.mu.Lock()
	d.seq++
	seq := d.seq
	ch := make(chan echo, 1)
	d.pending[seq] = ch
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.pending, seq)
		d.mu.Unlock()
	}()
	data := make([]byte, demoSizes[pt])
	binary.BigEndian.PutUint64(data, seq)
	sent := time.Now()
	if err := d.alice.Send(ctx, d.bob.ID(), pt, data); err != nil {
		return echo{}, 0, fmt.Errorf("alice → bob %s: %w", pt, err)
	}
	// The latency-first lane may drop a message: give it a bounded wait,
	// and the others the whole ctx.
	wait := ctx
	if pt == protocol.StreamLatencyFirst {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
	}
	select {
	case e := <-ch:
		rtt := e.at.Sub(sent)
		d.mu.Lock()
		s := d.stats[laneKey{pt, e.out}]
		if s == nil {
			s = &laneStats{}
			d.stats[laneKey{pt, e.out}] = s
		}
		s.msgs++
		s.bytes += len(data)
		s.rtts = append(s.rtts, rtt)
		d.mu.Unlock()
		return e, rtt, nil
	case <-wait.Done():
		if ctx.Err() == nil {
			return echo{}, 0, errDropped
		}
		return echo{}, 0, fmt.Errorf("no echo of %s message %d from bob: %w", pt, seq, ctx.Err())
	}
}

// received is alice's handler: it matches echoes to their round trips.
func (d *demo) received(_ context.Context, m transport.Message) {
	at := time.Now()
	if len(m.Data) < 9 {
		return
	}
	seq := binary.BigEndian.Uint64(m.Data)
	d.mu.Lock()
	ch := d.pending[seq]
	d.mu.Unlock()
	if ch != nil {
		select {
		case ch <- echo{out: transport.WireKind(m.Data[8]), back: m.Wire, at: at}:
		default:
		}
	}
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(i-1, 0)]
}

func (d *demo) summary() {
	fmt.Fprintln(d.out)
	fmt.Fprintln(d.out, "summary")
	tw := tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "lane\tmessages\tbytes\tround trip p50\tp99")
	var keys []laneKey
	for k := range d.stats {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b laneKey) int {
		if a.wire != b.wire {
			return int(a.wire) - int(b.wire)
		}
		return int(a.pt) - int(b.pt)
	})
	total := 0
	for _, k := range keys {
		s := d.stats[k]
		total += s.msgs
		fmt.Fprintf(tw, "%s/%s\t%d\t%d\t%s\t%s\n", k.wire, k.pt, s.msgs, s.bytes, fmtDuration(percentile(s.rtts, 50)), fmtDuration(percentile(s.rtts, 99)))
	}
	_ = tw.Flush()
	fmt.Fprintln(d.out)
	tw = tabwriter.NewWriter(d.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "wire\tconnect time")
	for _, k := range []transport.WireKind{transport.WireWebRTC, transport.WireWebSocket} {
		fmt.Fprintf(tw, "%s\t%s\n", k, fmtDuration(d.connect[k]))
	}
	_ = tw.Flush()
	if d.dropped > 0 {
		fmt.Fprintf(d.out, "\n%d round trips; %d latency-first messages dropped (that lane may drop)\n", total, d.dropped)
		return
	}
	fmt.Fprintf(d.out, "\n%d round trips, every message echoed\n", total)
}
