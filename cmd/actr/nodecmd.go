package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/rpc/echopb"
	"github.com/actr-go/actr/status"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/websocket"
)

func runNode(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("node", "actr node --signal URL [--type manufacturer:name] [--ws-listen ADDR] [--log] [--no-echo]", stdout, stderr)
	nf := addNodeFlags(f, "acme:echo")
	wsListen := f.String("ws-listen", "", "serve a WebSocket gate on this address (e.g. 127.0.0.1:9001), so peers can reach the node over WebSocket")
	wsCert := f.String("ws-tls-cert", "", "TLS certificate file: serve the gate over wss:// (with --ws-tls-key)")
	wsKey := f.String("ws-tls-key", "", "TLS private key file of the gate")
	metricsListen := f.String("metrics-listen", "", "serve Prometheus metrics (/metrics) and a status page (/) on this address")
	maxConns := f.Int("ws-max-conns", 1024, "the gate's connection limit")
	maxPerIP := f.Int("ws-max-conns-per-ip", 64, "the gate's connection limit per remote address (-1: none)")
	allowBearer := f.Bool("allow-bearer", false, "admit to the gate peers presenting a bearer credential (bound to no key, as actr's own nodes have): anyone such a credential was shown to can replay it; default: only holder-bound credentials with a proof of possession")
	var origins originPatterns
	f.Var(&origins, "allow-origin", originFlagHelp("the gate"))
	logMsgs := f.Bool("log", false, fmt.Sprintf("print a line for every inbound message: its size and its first %d bytes", previewBytes))
	noEcho := f.Bool("no-echo", false, "do not answer inbound messages")
	echoTimeout := f.Duration("echo-timeout", defaultEchoTimeout, "bound on each echo's Send: a peer that stops reading is given up on after this long")
	if err := f.parse(args); err != nil {
		return err
	}
	log, _ := f.logger()
	cfg, err := nf.config(log)
	if err != nil {
		return err
	}
	cfg.WSListen = *wsListen
	cfg.GateMaxConns, cfg.GateMaxConnsPerIP, cfg.GateAllowBearer = *maxConns, *maxPerIP, *allowBearer
	cfg.GateAllowedOrigins = origins
	if (*wsCert == "") != (*wsKey == "") {
		return usageError("--ws-tls-cert and --ws-tls-key go together")
	}
	if *wsCert != "" {
		if *wsListen == "" {
			return usageError("--ws-tls-cert needs --ws-listen")
		}
		cert, err := tls.LoadX509KeyPair(*wsCert, *wsKey)
		if err != nil {
			return fmt.Errorf("loading the gate's TLS certificate: %w", err)
		}
		cfg.GateTLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}

	// Every port is bound before the node registers and announces itself
	// (node.Start binds the gate's first too).
	mln, err := listenMetrics(*metricsListen)
	if err != nil {
		return err
	}
	defer func() {
		if mln != nil { // not handed to the observer
			_ = mln.Close()
		}
	}()

	// The node answers calls (rpc): the echo service (echopb, route
	// echo.Echo.Say) unless --no-echo. What is not RPC (raw bytes, stream
	// chunks) is echoed back as before, through the endpoint's Fallback.
	var n *node.Node
	started := make(chan struct{})
	rpcReg := prometheus.NewRegistry()
	rm, err := rpc.NewMetrics(rpcReg)
	if err != nil {
		return err
	}
	rawEcho := transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		if *noEcho {
			return
		}
		ectx, cancel := context.WithTimeout(ctx, *echoTimeout)
		defer cancel()
		if err := n.Send(ectx, m.From, m.Type, m.Data); err != nil && ctx.Err() == nil {
			log.Warn("echo failed", "to", m.From.String(), "type", m.Type.String(), "err", err)
		}
	})
	ep := rpc.New(rpc.Config{Fallback: rawEcho, Metrics: rm, ReplyTimeout: *echoTimeout, Logger: log.With("layer", "rpc")})
	defer ep.Close()
	if !*noEcho {
		// The payload's bytes back, whatever they are: for a SayRequest
		// that is the SayResponse (the two have one layout), so typed
		// clients and actr send's bytes are both answered.
		ep.HandleFunc(echopb.Echo_Say_Route, func(_ context.Context, req *rpc.Request) ([]byte, error) { return req.Payload, nil })
	}
	cfg.Handler = transport.HandlerFunc(func(ctx context.Context, m transport.Message) {
		<-started
		if n == nil {
			return // Start failed
		}
		if *logMsgs {
			what, data := describe(m)
			fmt.Fprintf(stdout, "message %s %s %sfrom %s over %s: %s\n", time.Now().Format("15:04:05.000"), m.Type, what, m.From, m.Wire, preview(data))
		}
		ep.ServeMessage(ctx, m)
	})
	cfg.ManagerOptions = append(cfg.ManagerOptions, sendStatsIf(*metricsListen != "")...)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	started0 := time.Now()
	n, err = node.Start(sctx, cfg)
	err = explainRegistration(err, cfg)
	cancel()
	close(started)
	if err != nil {
		return err
	}
	ep.Bind(n)
	fmt.Fprintf(stdout, "actor %s\n", n.ID())
	if t := n.GateURLTemplate(); t != "" {
		fmt.Fprintf(stdout, "gate %s\n", t)
	}
	if mln != nil {
		src := metrics.Sources{Manager: n.Manager(), WebRTC: n.Coordinator(), WebSocket: map[string]*websocket.Counters{}}
		if d := n.Dialer(); d != nil {
			src.WebSocket["dialer"] = d.Counters()
		}
		if g := n.Gate(); g != nil {
			src.WebSocket["gate"] = g.Counters()
		}
		ln := mln
		mln = nil
		sig := n.Signaling()
		pg := pages{extra: rpcReg, node: status.Options{Started: started0, GateURL: n.GateURLTemplate(), Signaling: func() status.SignalingState {
			return status.SignalingState{URL: sig.BaseURL(), Connected: sig.Connected(), CredentialExpiry: sig.CredentialExpiry()}
		}}}
		o, err := startObserver(ln, src, pg, stdout, log)
		if err != nil {
			_ = n.Close(context.Background())
			return err
		}
		defer o.close()
	}
	<-ctx.Done()
	log.Info("node stopping", "actor", n.ID().String())
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return n.Close(cctx)
}

// describe says what an inbound message is for --log: for an
// RpcEnvelope its direction and route (and its payload is what is
// previewed); nothing for other bytes.
func describe(m transport.Message) (string, []byte) {
	if m.Type != protocol.RPCReliable && m.Type != protocol.RPCSignal {
		return "", m.Data
	}
	var env protocol.RpcEnvelope
	if proto.Unmarshal(m.Data, &env) != nil || env.Direction == nil {
		return "", m.Data
	}
	dir := strings.ToLower(strings.TrimPrefix(env.GetDirection().String(), "DIRECTION_"))
	return fmt.Sprintf("%s %q ", dir, truncateRoute(env.GetRouteKey())), env.GetPayload()
}

func truncateRoute(s string) string {
	if len(s) > previewBytes {
		return s[:previewBytes] + "..."
	}
	return s
}

// previewBytes is how much of a message --log shows.
const previewBytes = 64

// preview is a bounded, printable form of a message for --log: the whole
// of a short one, quoted; of a longer one its first previewBytes, then
// its size.
func preview(data []byte) string {
	if len(data) <= previewBytes {
		return fmt.Sprintf("%q (%d bytes)", data, len(data))
	}
	return fmt.Sprintf("%q... (%d bytes)", data[:previewBytes], len(data))
}
