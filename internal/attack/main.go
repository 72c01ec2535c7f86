// Command attack runs one of issue 19's hostile-peer attacks (H1–H13)
// against a running actr signal and actr node on 127.0.0.1, and measures
// a well-behaved client and the target process before, during and after
// it. scripts/attack.sh starts the processes and runs every attack.
//
// It prints progress on stderr and, on stdout, one tab-separated line
// starting with "row" per attack (see row.fields).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/actr-go/actr/protocol"
)

// env is what every attack needs to know about its targets.
type env struct {
	signalURL     string
	signalPID     int
	signalMetrics string
	secret        string // the realm secret of a --policy secret server (H12)
	target        protocol.ActorID
	gateTemplate  string
	nodePID       int
	nodeMetrics   string
	realm         uint32

	phase, settle time.Duration
	rtTimeout     time.Duration // a legit round trip not answered within this is lost

	// Attack sizes.
	conns      int // H3: raw gate connections; H7: pinging connections; H10: half-open TCP connections
	idle       int // H4: idle signaling connections
	hold       time.Duration
	sinks      int // H5: clients that never read
	subs       int // H6: subscriptions per connection
	strangers  int // H8
	candidates int // H9
	bigSize    int // H1, H2
	streams    int // H1, H2, H11: concurrent senders

	// from is the loopback address the attacker's own TCP connections
	// (raw ones and signaling clients) come from, so that limits per
	// remote address hit it and not the legit client; nil: the default.
	// The attacker's nodes (H1, H2, H11) always use the default.
	from     net.IP
	httpOnce sync.Once
	http     *http.Client

	log *slog.Logger
}

// tally is what an attack counts. Attacks update it from their
// goroutines.
type tally struct {
	sent    atomic.Int64 // attack actions done (messages, connections, requests...)
	refused atomic.Int64 // refusals, errors and closes by the target
	conns   atomic.Int64 // connections the attack holds at its peak (for per-connection memory)

	mu    sync.Mutex
	notes []string
}

func (t *tally) note(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// attackFunc runs an attack until ctx ends, then stops it and closes
// everything it opened before it returns. It calls ready once the attack
// is in effect (the "during" phase starts then). An error means the
// attack could not be mounted at all.
type attackFunc func(ctx context.Context, e *env, t *tally, ready func()) error

type attack struct {
	name      string
	what      string
	onSignal  bool   // the target is the signaling server (else the node)
	legit     string // "webrtc", "gate" or "signal"
	minDuring func(e *env) time.Duration
	run       attackFunc
}

var attacks = []attack{
	{name: "H1", what: "WebRTC peer that stops reading, sending 256 KiB messages", legit: "webrtc", run: h1},
	{name: "H2", what: "gate peer that stops reading, sending 256 KiB messages", legit: "gate", run: h2},
	{name: "H3", what: "gate connections announcing 16 MiB in a 5-byte frame header, then silent", legit: "gate", run: h3},
	{name: "H4", what: "upgraded signaling connections that never send", onSignal: true, legit: "signal", run: h4,
		minDuring: func(e *env) time.Duration { return e.hold }},
	{name: "H5", what: "signaling clients that never read, sent 60 KiB relays", onSignal: true, legit: "signal", run: h5},
	{name: "H6", what: "distinct presence subscriptions from 2 connections", onSignal: true, legit: "signal", run: h6},
	{name: "H7", what: "pings at the per-connection limit, registration flood, discovery", onSignal: true, legit: "signal", run: h7},
	{name: "H8", what: "strangers each sending the node a role negotiation", legit: "webrtc", run: h8},
	{name: "H9", what: "a peer relaying ICE candidates naming arbitrary 127/8 ports", legit: "webrtc", run: h9},
	{name: "H10", what: "TCP connections to the gate that never send the HTTP request", legit: "gate", run: h10},
	{name: "H11", what: "one authenticated peer flooding the gate with 5-byte frames", legit: "gate", run: h11},
	{name: "H12", what: "registrations with wrong secrets / into other realms", onSignal: true, legit: "signal", run: h12},
	{name: "H13", what: "gate connections whose URL path names another actor", legit: "gate", run: h13},
}

func main() {
	e := &env{}
	var name, target, logLevel string
	var realm uint
	flag.StringVar(&name, "attack", "", "the attack to run: "+attackNames())
	flag.StringVar(&e.signalURL, "signal", "", "signaling server URL (ws://127.0.0.1:PORT/)")
	flag.IntVar(&e.signalPID, "signal-pid", 0, "pid of the signaling server")
	flag.StringVar(&e.signalMetrics, "signal-metrics", "", "the signaling server's /metrics URL")
	secretFile := flag.String("secret-file", "", "the realm secret of the signaling server (H12 runs against a --policy secret server)")
	flag.StringVar(&target, "target", "", "the target node's actor id, as actr node prints it")
	flag.StringVar(&e.gateTemplate, "gate", "", "the target node's gate URL template, as actr node prints it")
	flag.IntVar(&e.nodePID, "node-pid", 0, "pid of the target node")
	flag.StringVar(&e.nodeMetrics, "node-metrics", "", "the target node's /metrics URL")
	flag.UintVar(&realm, "realm", 1, "realm of the legit clients and the attackers")
	flag.DurationVar(&e.phase, "phase", 5*time.Second, "duration of each phase (before, during, after)")
	flag.DurationVar(&e.settle, "settle", 35*time.Second, "after the attack, how long to wait at most for the target's fds and goroutines to settle")
	flag.DurationVar(&e.rtTimeout, "rt-timeout", 2*time.Second, "a legit round trip not answered within this counts as lost")
	flag.IntVar(&e.conns, "conns", 0, "H3, H7, H10: connections (default 62, 50, 100)")
	flag.IntVar(&e.idle, "idle", 3000, "H4: idle signaling connections")
	flag.DurationVar(&e.hold, "hold", 12*time.Second, "H4: how long the idle connections are held (the during phase)")
	flag.IntVar(&e.sinks, "sinks", 8, "H5: signaling clients that never read")
	flag.IntVar(&e.subs, "subs", 2000, "H6: distinct subscriptions per connection")
	flag.IntVar(&e.strangers, "strangers", 1000, "H8: strangers negotiating with the node")
	flag.IntVar(&e.candidates, "candidates", 200, "H9: ICE candidates relayed in one session")
	flag.IntVar(&e.bigSize, "size", 256<<10, "H1, H2: message size")
	flag.IntVar(&e.streams, "streams", 4, "H1, H2, H11: concurrent senders")
	from := flag.String("from", "", "loopback address (127.0.0.2…) the attacker's raw connections and signaling clients come from, so per-address limits tell it from the legit client (default: the OS's choice, 127.0.0.1)")
	flag.StringVar(&logLevel, "log-level", "warn", "log level of the attacker's own nodes and clients (stderr)")
	flag.Parse()
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
		fatalf("--log-level: %v", err)
	}
	e.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	e.realm = uint32(realm)
	if *secretFile != "" {
		b, err := os.ReadFile(*secretFile)
		if err != nil {
			fatalf("%v", err)
		}
		e.secret = strings.TrimSpace(string(b))
	}
	if *from != "" {
		ip := net.ParseIP(*from)
		if ip == nil || !ip.IsLoopback() || ip.To4() == nil {
			fatalf("--from %q: want an IPv4 loopback address (127.0.0.0/8)", *from)
		}
		e.from = ip
	}
	var a *attack
	for i := range attacks {
		if strings.EqualFold(attacks[i].name, name) {
			a = &attacks[i]
		}
	}
	if a == nil {
		fatalf("--attack %q: want one of %s", name, attackNames())
	}
	if e.signalURL == "" {
		fatalf("--signal is required")
	}
	if !a.onSignal {
		id, err := protocol.ParseActorID(target)
		if err != nil {
			fatalf("--target %q: %v", target, err)
		}
		e.target = id
		if e.gateTemplate == "" {
			fatalf("--gate is required for %s", a.name)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := runAttack(ctx, e, a)
	if err != nil {
		fmt.Fprintf(os.Stderr, "attack %s: %v\n", a.name, err)
	}
	fmt.Println(r.line())
	if err != nil && errors.Is(err, errNoLegit) {
		os.Exit(1)
	}
}

func attackNames() string {
	var s []string
	for _, a := range attacks {
		s = append(s, a.name)
	}
	return strings.Join(s, " ")
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "attack: "+format+"\n", args...)
	os.Exit(2)
}
