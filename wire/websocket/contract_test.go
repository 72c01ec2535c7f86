package websocket_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// The delivery contract (README) over WebSocket: messages whose Send
// returned nil arrive once, intact and in order per payload type; when the
// connection dies mid-stream the death is reported, only messages sent on
// the dying connection may be missing, nothing is duplicated or
// reordered, and the stream resumes on a new connection.

// contractSizes cycles through small, medium and fragment-sized messages.
var contractSizes = []int{16, 300, 1200, 20000}

func TestDeliveryContractSteady(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	log := transporttest.NewDeliveryLog(protocol.StreamLatencyFirst)
	w.node(t, idB, nodeOpts{handler: log})
	a := w.node(t, idA, nodeOpts{noListen: true})

	const perStream = 500
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for _, pt := range protocol.DataPayloadTypes() {
		for stream := range uint8(2) {
			wg.Go(func() {
				for seq := range uint32(perStream) {
					data := transporttest.SeqPayload(stream, seq, contractSizes[int(seq)%len(contractSizes)])
					if err := a.mgr.Send(ctx, transport.Actor(idB), pt, data); err != nil {
						errs <- err
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, pt := range protocol.DataPayloadTypes() {
		if pt == protocol.StreamLatencyFirst {
			continue // may drop at a full inbound queue; checked for integrity only
		}
		for stream := range uint8(2) {
			if err := log.WaitFor(ctx, transporttest.SeqKey{From: idA, Type: pt, Stream: stream}, perStream-1); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, v := range log.Violations() {
		t.Error(v)
	}
	for _, pt := range protocol.DataPayloadTypes() {
		if pt == protocol.StreamLatencyFirst {
			continue
		}
		for stream := range uint8(2) {
			if n := log.Count(transporttest.SeqKey{From: idA, Type: pt, Stream: stream}); n != perStream {
				t.Errorf("%s stream %d: %d of %d delivered", pt, stream, n, perStream)
			}
		}
	}
}

// sendResult is what one Send of the death test returned.
type sendResult struct {
	err        error
	afterDeath bool // started after the death was reported
}

func TestDeliveryContractConnectionDies(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	log := transporttest.NewDeliveryLog()
	b := w.node(t, idB, nodeOpts{handler: log})
	gate := b.server.URL("/actr/" + idB.String())
	host := strings.TrimPrefix(gate, "ws://")
	host = host[:strings.IndexByte(host, '/')]
	proxy := newCutProxy(t, host)
	w.dir.set(idB, strings.Replace(gate, host, proxy.addr(), 1))
	a := w.node(t, idA, nodeOpts{noListen: true})
	sub := a.mgr.Subscribe(1024)
	defer sub.Close()

	// The sender streams until it has made afterDeath Sends that started
	// after the death was reported.
	const afterDeath = 300
	key := transporttest.SeqKey{From: idA, Type: protocol.RPCReliable}
	var (
		deathSeen atomic.Bool
		results   []sendResult // the sender's until wg.Wait returns
		wg        sync.WaitGroup
	)
	wg.Go(func() {
		for seq, after := uint32(0), 0; after < afterDeath && ctx.Err() == nil; seq++ {
			r := sendResult{afterDeath: deathSeen.Load()}
			sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			r.err = a.mgr.Send(sctx, transport.Actor(idB), key.Type, transporttest.SeqPayload(0, seq, contractSizes[int(seq)%len(contractSizes)]))
			cancel()
			results = append(results, r)
			if r.afterDeath {
				after++
			}
		}
	})

	// Mid-stream: cut once 300 messages have arrived.
	if err := log.WaitFor(ctx, key, 299); err != nil {
		t.Fatal(err)
	}
	cutAt := time.Now()
	if n := proxy.cut(); n != 1 {
		t.Fatalf("the proxy carried %d connections, want 1", n)
	}
	var failed transport.Event
	waitEvent(t, ctx, sub, func(e transport.Event) bool {
		failed = e
		return e.Kind == transport.EventWireStateChanged && e.State == transport.WireFailed && e.WireKind == transport.WireWebSocket
	})
	deathSeen.Store(true)
	t.Logf("connection reset → wire failed reported in %v (%v)", failed.Time.Sub(cutAt).Round(time.Microsecond), failed.Err)
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal(ctx.Err())
	}
	// The stream resumed on a new connection: its last message arrives.
	if err := log.WaitFor(ctx, key, uint32(len(results)-1)); err != nil {
		t.Fatal(err)
	}
	firstAfter := len(results) - afterDeath
	for _, v := range log.Violations() {
		t.Error(v)
	}
	var lost, failedSends int
	for seq, r := range results {
		switch {
		case r.err != nil:
			failedSends++
			if r.afterDeath && !errors.Is(r.err, context.DeadlineExceeded) {
				t.Errorf("Send %d after the death: %v", seq, r.err)
			}
		case log.Has(key, uint32(seq)):
		case r.afterDeath:
			t.Errorf("message %d: Send returned nil after the death was reported, never delivered", seq)
		default:
			lost++ // sent on the dying connection
		}
	}
	t.Logf("%d Sends: %d messages lost on the dying connection, %d Sends returned an error; first message after the death reported delivered: %d",
		len(results), lost, failedSends, firstAfter)
}
