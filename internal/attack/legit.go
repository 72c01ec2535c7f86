package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/transport"
)

var logOut = os.Stderr

// nodeLegit is a well-behaved node peer of the target: it sends 1 KiB
// RPC_RELIABLE messages one at a time and waits for each echo.
type nodeLegit struct {
	e       *env
	gate    bool
	n       *node.Node
	replies chan []byte
	seq     int
}

func echoCatcher(replies chan []byte) transport.Handler {
	return transport.HandlerFunc(func(_ context.Context, m transport.Message) {
		select {
		case replies <- m.Data:
		default: // a late echo nobody waits for
		}
	})
}

func newNodeLegit(ctx context.Context, e *env, gate bool) (*nodeLegit, error) {
	l := &nodeLegit{e: e, gate: gate, replies: make(chan []byte, 64)}
	n, err := e.startNode(ctx, "legit", gate, echoCatcher(l.replies))
	if err != nil {
		return nil, err
	}
	l.n = n
	// The first round trip connects.
	if _, err := roundTrip(ctx, n, l.replies, e.target, "warm-up ", 20*time.Second); err != nil {
		closeNode(n)
		return nil, fmt.Errorf("the legit node's first round trip: %w", err)
	}
	return l, nil
}

// roundTrip sends a 1 KiB message tagged tag and waits for its echo.
func roundTrip(ctx context.Context, n *node.Node, replies <-chan []byte, dest protocol.ActorID, tag string, timeout time.Duration) (time.Duration, error) {
	data := bytes.Repeat([]byte{'.'}, 1024)
	copy(data, tag)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	if err := n.Send(ctx, dest, protocol.RPCReliable, data); err != nil {
		return 0, err
	}
	for {
		select {
		case m := <-replies:
			if bytes.HasPrefix(m, []byte(tag)) {
				return time.Since(start), nil
			}
		case <-ctx.Done():
			return 0, fmt.Errorf("no echo within %v", timeout)
		}
	}
}

func (l *nodeLegit) measure(ctx context.Context, d time.Duration) phase {
	var p phase
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		l.seq++
		rtt, err := roundTrip(ctx, l.n, l.replies, l.e.target, fmt.Sprintf("legit %d ", l.seq), l.e.rtTimeout)
		if err != nil {
			p.lost++
		} else {
			p.rtts = append(p.rtts, rtt)
		}
		pause(ctx, 5*time.Millisecond)
	}
	return p
}

func (l *nodeLegit) fresh(ctx context.Context) (time.Duration, error) {
	replies := make(chan []byte, 4)
	n, err := l.e.startNode(ctx, "legit-fresh", l.gate, echoCatcher(replies))
	if err != nil {
		return 0, err
	}
	defer closeNode(n)
	return roundTrip(ctx, n, replies, l.e.target, "fresh ", 15*time.Second)
}

func (l *nodeLegit) close() { closeNode(l.n) }

// signalLegit is a well-behaved signaling client: it pings (well under
// the per-connection rate limit) and times a fresh client's registration.
type signalLegit struct {
	e *env
	c *signaling.Client
}

func newSignalLegit(ctx context.Context, e *env) (*signalLegit, error) {
	c, err := e.legitSignal(ctx, "legit")
	if err != nil {
		return nil, err
	}
	return &signalLegit{e: e, c: c}, nil
}

func (l *signalLegit) measure(ctx context.Context, d time.Duration) phase {
	var p phase
	end := time.Now().Add(d)
	for time.Now().Before(end) && ctx.Err() == nil {
		pctx, cancel := context.WithTimeout(ctx, l.e.rtTimeout)
		start := time.Now()
		err := l.c.Ping(pctx)
		cancel()
		if err != nil {
			p.lost++
			pause(ctx, 100*time.Millisecond) // reconnecting, perhaps
		} else {
			p.rtts = append(p.rtts, time.Since(start))
		}
		pause(ctx, 10*time.Millisecond)
	}
	return p
}

func (l *signalLegit) fresh(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	c, err := l.e.legitSignal(ctx, "legit-fresh")
	if err != nil {
		return 0, err
	}
	d := time.Since(start)
	uctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_ = c.Unregister(uctx)
	cancel()
	_ = c.Close()
	return d, nil
}

func (l *signalLegit) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = l.c.Unregister(ctx)
	cancel()
	_ = l.c.Close()
}

// pause waits d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
