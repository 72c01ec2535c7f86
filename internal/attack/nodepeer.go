package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// H1 and H2: a peer that stops reading. Its handler never returns and it
// keeps one byte queued at most, so the target's echoes to it back up on
// the wire, while it keeps sending big messages.
func h1(ctx context.Context, e *env, t *tally, ready func()) error {
	return stall(ctx, e, t, ready, false)
}
func h2(ctx context.Context, e *env, t *tally, ready func()) error {
	return stall(ctx, e, t, ready, true)
}

func stall(ctx context.Context, e *env, t *tally, ready func(), overGate bool) error {
	stop := make(chan struct{})
	h := transport.HandlerFunc(func(hctx context.Context, _ transport.Message) {
		select {
		case <-stop:
		case <-hctx.Done():
		}
	})
	n, err := e.startNode(ctx, "stall", overGate, h, transport.WithInboundLimits(transport.InboundLimits{QueueDepth: 1, PeerBytes: 1}))
	if err != nil {
		close(stop)
		return err
	}
	defer closeNode(n)
	defer close(stop) // runs first: the handler returns before the node closes
	big := make([]byte, e.bigSize)
	var wg sync.WaitGroup
	for range e.streams {
		wg.Go(func() {
			for ctx.Err() == nil {
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				err := n.Send(sctx, e.target, protocol.RPCReliable, big)
				cancel()
				switch {
				case err == nil:
					if t.sent.Add(1) >= int64(4*e.streams) {
						ready()
					}
				case ctx.Err() == nil:
					t.refused.Add(1)
					pause(ctx, 100*time.Millisecond)
				}
			}
		})
	}
	// Sends block once the target pushes back: the stall is in effect
	// after a few seconds whether or not 4 sends per stream completed.
	pause(ctx, 3*time.Second)
	ready()
	<-ctx.Done()
	wg.Wait()
	t.note("%d × %d KiB messages sent over %s, %d send errors/timeouts", t.sent.Load(), e.bigSize>>10, wireName(overGate), t.refused.Load())
	return nil
}

func wireName(overGate bool) string {
	if overGate {
		return "the gate"
	}
	return "WebRTC"
}

// H11: one authenticated peer floods the gate with empty RPC_RELIABLE
// messages (5-byte frames); it reads the echoes.
func h11(ctx context.Context, e *env, t *tally, ready func()) error {
	var echoes atomic.Int64
	h := transport.HandlerFunc(func(context.Context, transport.Message) { echoes.Add(1) })
	n, err := e.startNode(ctx, "flood", true, h)
	if err != nil {
		return err
	}
	defer closeNode(n)
	var wg sync.WaitGroup
	start := time.Now()
	for range e.streams {
		wg.Go(func() {
			for ctx.Err() == nil {
				sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
				err := n.Send(sctx, e.target, protocol.RPCReliable, []byte{})
				cancel()
				switch {
				case err == nil:
					t.sent.Add(1)
				case ctx.Err() == nil:
					t.refused.Add(1)
					pause(ctx, 50*time.Millisecond)
				}
			}
		})
	}
	ready()
	<-ctx.Done()
	wg.Wait()
	secs := time.Since(start).Seconds()
	t.note("%.0f empty messages/s sent, %.0f echoes/s received", float64(t.sent.Load())/secs, float64(echoes.Load())/secs)
	return nil
}
