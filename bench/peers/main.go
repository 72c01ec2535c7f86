package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"
)

func main() {
	if name := os.Getenv(envServer); name != "" {
		if err := serveChild(name); err != nil {
			fmt.Fprintln(os.Stderr, "peers:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "peers:", err)
		os.Exit(1)
	}
}

// options shape a run.
type options struct {
	rounds    int
	rtDur     time.Duration // each round trip workload, each peer, each round
	tpDur     time.Duration // the senders' time in each throughput workload
	idle      int           // idle connections for the memory figure
	idleRTC   int           // the same for actr over WebRTC (a PeerConnection each, both ends)
	peers     []string
	quick     bool
	wait      time.Duration // bound on the receiver's count
	progress  io.Writer
	rawOutput bool
}

// allPeers in table order: actr-ws first (the ratios' reference).
var allPeers = []string{"actr-ws", "actr-rpc", "actr-webrtc", "grpc-unary", "grpc", "nats", "ws", "tcp"}

var dialers = map[string]dialFunc{
	"actr-ws":     dialActr(false),
	"actr-webrtc": dialActr(true),
	"actr-rpc":    dialActrRPC,
	"grpc-unary":  dialGRPCUnary,
	"grpc":        dialGRPC,
	"nats":        dialNATS,
	"ws":          dialWS,
	"tcp":         dialTCP,
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("peers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{progress: stderr, wait: 60 * time.Second}
	fs.IntVar(&o.rounds, "rounds", 3, "rounds; every figure is the median over them")
	fs.DurationVar(&o.rtDur, "rt", time.Second, "duration of each round-trip workload (per peer, per round)")
	fs.DurationVar(&o.tpDur, "tp", time.Second, "sending time of each throughput workload (per peer, per round)")
	fs.IntVar(&o.idle, "idle", 200, "idle connections for the memory figure")
	fs.IntVar(&o.idleRTC, "idle-webrtc", 50, "idle connections for the memory figure of actr over WebRTC")
	peers := fs.String("peers", strings.Join(allPeers, ","), "peers to run, comma-separated")
	fs.BoolVar(&o.quick, "quick", os.Getenv("ACTR_PEERS_QUICK") != "", "a run of a few seconds (1 round, short workloads, few idle connections); also ACTR_PEERS_QUICK=1")
	fs.BoolVar(&o.rawOutput, "raw", true, "print every round's figures after the table")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.quick { // short everything, except what the command line set
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := func(name string, apply func()) {
			if !set[name] {
				apply()
			}
		}
		quick("rounds", func() { o.rounds = 1 })
		quick("rt", func() { o.rtDur = 100 * time.Millisecond })
		quick("tp", func() { o.tpDur = 100 * time.Millisecond })
		quick("idle", func() { o.idle = 5 })
		quick("idle-webrtc", func() { o.idleRTC = 3 })
	}
	for _, p := range strings.Split(*peers, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if dialers[p] == nil {
			return o, fmt.Errorf("-peers: no peer %q (have %s)", p, strings.Join(allPeers, ", "))
		}
		o.peers = append(o.peers, p)
	}
	switch {
	case len(o.peers) == 0:
		return o, fmt.Errorf("-peers: none")
	case o.rounds < 1:
		return o, fmt.Errorf("-rounds %d: at least 1", o.rounds)
	case o.rtDur <= 0 || o.tpDur <= 0:
		return o, fmt.Errorf("-rt and -tp must be positive")
	case o.idle < 1 || o.idleRTC < 1:
		return o, fmt.Errorf("-idle and -idle-webrtc: at least 1")
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	h, err := startHarness(o)
	if err != nil {
		return err
	}
	defer h.close()
	res, err := h.run(ctx)
	if err != nil {
		return err
	}
	writeReport(stdout, o, res)
	return nil
}
