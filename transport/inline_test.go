package transport_test

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// fakeReader plays a wire's reader over the manager's inbound: it
// delivers msgs in order with DeliverInline, and a takeover starts another
// reader on the rest, as the WebSocket wire does.
type fakeReader struct {
	in       transport.InlineDeliverer
	mu       sync.Mutex
	msgs     []transport.Message
	wg       sync.WaitGroup
	takeover int
}

func (r *fakeReader) start() { r.wg.Add(1); go r.read() }

func (r *fakeReader) read() {
	defer r.wg.Done()
	slot := transport.NewInlineSlot(func() {
		r.mu.Lock()
		r.takeover++
		r.mu.Unlock()
		r.start()
	})
	defer slot.Stop()
	for {
		r.mu.Lock()
		if len(r.msgs) == 0 {
			r.mu.Unlock()
			return
		}
		m := r.msgs[0]
		r.msgs = r.msgs[1:]
		r.mu.Unlock()
		handed, err := r.in.DeliverInline(context.Background(), m, slot)
		if err != nil {
			panic(err)
		}
		if handed {
			return
		}
	}
}

func newInlineManager(t *testing.T, h transport.Handler) (*transport.OutprocManager, transport.InlineDeliverer) {
	t.Helper()
	m, err := transport.NewOutprocManager(peerB, transporttest.NewBuilder(transporttest.NewNetwork(), peerB), transport.WithHandler(h))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close() })
	in, ok := m.Inbound().(transport.InlineDeliverer)
	if !ok {
		t.Fatal("the manager's Inbound does not deliver inline")
	}
	return m, in
}

func msgOf(pt protocol.PayloadType, b byte) transport.Message {
	return transport.Message{From: peerA, Type: pt, Data: []byte{b}}
}

// Fast handlers run on the reader: every message is handled inline, in
// order, with no takeover.
func TestInlineFastHandlersRunOnTheReader(t *testing.T) {
	var got []byte
	m, in := newInlineManager(t, transport.HandlerFunc(func(_ context.Context, msg transport.Message) { got = append(got, msg.Data[0]) }))
	r := &fakeReader{in: in}
	for i := range 100 {
		r.msgs = append(r.msgs, msgOf(protocol.RPCReliable, byte(i)))
	}
	r.start()
	r.wg.Wait()
	for i, b := range got {
		if int(b) != i {
			t.Fatalf("message %d handled as %d", b, i)
		}
	}
	st := m.Stats().Inbound
	if len(got) != 100 || st.Inlined != 100 || r.takeover != 0 {
		t.Fatalf("handled %d, inlined %d, takeovers %d", len(got), st.Inlined, r.takeover)
	}
}

// A handler that blocks past the budget has the reader taken over: the
// peer's other payload types go on being handled meanwhile, and the
// messages of its own type wait behind it and then come in order.
func TestInlineSlowHandlerIsTakenOver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var rpc []byte
		streams := 0
		m, in := newInlineManager(t, transport.HandlerFunc(func(_ context.Context, msg transport.Message) {
			if msg.Type == protocol.RPCReliable && msg.Data[0] == 0 {
				<-release
			}
			mu.Lock()
			defer mu.Unlock()
			if msg.Type == protocol.RPCReliable {
				rpc = append(rpc, msg.Data[0])
			} else {
				streams++
			}
		}))
		r := &fakeReader{in: in}
		r.msgs = append(r.msgs, msgOf(protocol.RPCReliable, 0))
		for i := range 10 {
			r.msgs = append(r.msgs, msgOf(protocol.StreamReliable, byte(i)), msgOf(protocol.RPCReliable, byte(i+1)))
		}
		r.start()
		// The first handler blocks; the budget runs out (the bubble's
		// clock); the new reader delivers the rest.
		time.Sleep(2 * transport.InlineBudget)
		synctest.Wait()
		mu.Lock()
		s, n := streams, len(rpc)
		mu.Unlock()
		if s != 10 || n != 0 {
			t.Errorf("while the slow handler ran: %d of 10 stream messages handled, %d RPC messages (want 0: they wait behind it)", s, n)
		}
		if r.takeover != 1 {
			t.Errorf("%d takeovers, want 1", r.takeover)
		}
		close(release)
		r.wg.Wait()
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		if len(rpc) != 11 {
			t.Fatalf("%d of 11 RPC messages handled", len(rpc))
		}
		for i, b := range rpc {
			if int(b) != i {
				t.Fatalf("RPC message %d handled as %d", b, i)
			}
		}
		_ = m
	})
}
