package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc/echopb"
	"github.com/actr-go/actr/transport"
)

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("send", "actr send --signal URL --to ACTORID [--route KEY | --raw] [--payload-type TYPE] [--file FILE | -] [MESSAGE]", stdout, stderr)
	nf := addNodeFlags(f, "acme:actr-send")
	to := f.String("to", "", "the actor to send to, as printed by actr node (manufacturer:name@realm.serial)")
	ptName := f.String("payload-type", "RPC_RELIABLE", "payload type: RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE or STREAM_LATENCY_FIRST")
	file := f.String("file", "", "send this file's contents (- for standard input) instead of MESSAGE")
	timeout := f.Duration("timeout", 15*time.Second, "give up after this long (registration, connection, send and reply)")
	noReply := f.Bool("no-reply", false, "do not wait for a reply (a call is sent as a tell)")
	route := f.String("route", echopb.Echo_Say_Route, "call this route (package.Service.Method): the message is the request's payload, the response's payload is printed exactly; the default is the echo every actr node serves")
	raw := f.Bool("raw", false, "send the bytes as they are, not as a call, and print the first message that comes back (STREAM_* payload types are always raw)")
	f.logLevel = "warn" // stdout is the reply, stderr one line about it
	f.Lookup("log-level").DefValue = "warn"
	if err := f.parse(args); err != nil {
		return err
	}
	log, _ := f.logger()
	if *to == "" {
		return usageError("--to is required")
	}
	dest, err := protocol.ParseActorID(*to)
	if err != nil {
		return usageError("--to: %v", err)
	}
	pt, err := protocol.ParsePayloadType(*ptName)
	if err != nil || !pt.IsData() {
		return usageError("--payload-type %q: want RPC_RELIABLE, RPC_SIGNAL, STREAM_RELIABLE or STREAM_LATENCY_FIRST", *ptName)
	}
	var data []byte
	switch {
	case *file != "" && f.NArg() > 0:
		return usageError("give MESSAGE or --file, not both")
	case *file == "-":
		data, err = io.ReadAll(os.Stdin)
	case *file != "":
		data, err = os.ReadFile(*file)
	case f.NArg() == 1:
		data = []byte(f.Arg(0))
	case f.NArg() > 1:
		return usageError("one MESSAGE only (quote it)")
	default:
		return usageError("nothing to send: give MESSAGE, --file FILE or --file -")
	}
	if err != nil {
		return fmt.Errorf("reading the message: %w", err)
	}
	cfg, err := nf.config(log)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	if !*raw && (pt == protocol.RPCReliable || pt == protocol.RPCSignal) {
		if *route == "" {
			return usageError("--route is empty: give a route key, or --raw")
		}
		return sendCall(ctx, cfg, dest, pt, *route, data, *noReply, *timeout, stdout, stderr)
	}
	replies := make(chan transport.Message, 1)
	cfg.Handler = transport.HandlerFunc(func(_ context.Context, m transport.Message) {
		if m.From == dest {
			select {
			case replies <- m:
			default:
			}
		}
	})
	cfg.HealthCheckInterval = -1 // a one-shot
	n, err := node.Start(ctx, cfg)
	err = explainRegistration(err, cfg)
	if err != nil {
		return err
	}
	// closeNode delivers what Send accepted before the wires go (bounded):
	// with --no-reply that is what says the message arrived.
	start := time.Now()
	if err := n.Send(ctx, dest, pt, data); err != nil {
		_ = closeNode(n)
		return explainSendError(dest, err)
	}
	if *noReply {
		if err := closeNode(n); errors.Is(err, transport.ErrUnflushed) {
			return fmt.Errorf("the message to %s may not have arrived: the connection closed before it was delivered: %w", dest, err)
		}
		fmt.Fprintf(stderr, "sent %d bytes to %s in %s\n", len(data), dest, fmtDuration(time.Since(start)))
		return nil
	}
	defer func() { _ = closeNode(n) }()
	select {
	case m := <-replies:
		fmt.Fprintf(stderr, "reply from %s over %s (%s) in %s:\n", m.From, m.Wire, m.Type, fmtDuration(time.Since(start)))
		_, err := stdout.Write(m.Data) // exactly the bytes received
		return err
	case <-ctx.Done():
		return fmt.Errorf("no reply from %s within %s (the message was sent; is the peer answering?)", dest, *timeout)
	}
}

// explainSendError turns a Send error into the one line a user needs.
func explainSendError(dest protocol.ActorID, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("could not reach %s in time: %w", dest, err)
	case errors.Is(err, transport.ErrNoRoute):
		return fmt.Errorf("%s is unknown or unreachable: %w", dest, err)
	}
	return fmt.Errorf("sending to %s: %w", dest, err)
}
