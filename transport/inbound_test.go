package transport_test

import (
	"context"
	"errors"
	"testing"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

var peerA = protocol.ActorID{Realm: 7, Serial: 1, Manufacturer: "acme", Name: "alice"}
var peerB = protocol.ActorID{Realm: 7, Serial: 2, Manufacturer: "acme", Name: "bob"}

// pair makes two managers on one in-memory network, each serving its node.
func pair(t *testing.T, hA, hB transport.Handler, opts ...transport.Option) (a, b *transport.OutprocManager, bA, bB *transporttest.Builder) {
	t.Helper()
	net := transporttest.NewNetwork()
	bA, bB = transporttest.NewBuilder(net, peerA), transporttest.NewBuilder(net, peerB)
	var err error
	if a, err = transport.NewOutprocManager(peerA, bA, append([]transport.Option{transport.WithHandler(hA)}, opts...)...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if b, err = transport.NewOutprocManager(peerB, bB, append([]transport.Option{transport.WithHandler(hB)}, opts...)...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	net.Node(peerA).Serve(a)
	net.Node(peerB).Serve(b)
	return a, b, bA, bB
}

func TestTwoManagersExchangeEveryTypeAndReplyOverAdoptedWire(t *testing.T) {
	ctx := guard(t)
	got := make(chan transport.Message, 16)
	var mB *transport.OutprocManager
	echo := transport.HandlerFunc(func(ctx context.Context, msg transport.Message) {
		if err := mB.Send(ctx, transport.Actor(msg.From), msg.Type, append([]byte("echo:"), msg.Data...)); err != nil {
			t.Errorf("reply: %v", err)
		}
	})
	mA, mB2, _, bB := pair(t, transport.HandlerFunc(func(_ context.Context, msg transport.Message) { got <- msg }), echo)
	mB = mB2
	for _, pt := range protocol.DataPayloadTypes() {
		if err := mA.Send(ctx, transport.Actor(peerB), pt, []byte(pt.String())); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[protocol.PayloadType]bool{}
	for range protocol.DataPayloadTypes() {
		select {
		case msg := <-got:
			if msg.From != peerB || string(msg.Data) != "echo:"+msg.Type.String() {
				t.Fatalf("reply %+v", msg)
			}
			seen[msg.Type] = true
		case <-ctx.Done():
			t.Fatal("replies missing")
		}
	}
	if len(seen) != len(protocol.DataPayloadTypes()) {
		t.Fatalf("replies for %d types", len(seen))
	}
	if bB.Builds() != 0 {
		t.Fatalf("the replying side dialled %d times; replies must reuse the adopted wire", bB.Builds())
	}
	if !mB.HasDest(transport.Actor(peerA)) {
		t.Fatal("the adopted wire gave no transport on the accepting side")
	}
}

// F16: a slow consumer of one payload type does not hold up another.
func TestInboundQueuesAreSeparatePerPayloadType(t *testing.T) {
	ctx := guard(t)
	block := make(chan struct{})
	entered := make(chan struct{}, 8)
	signals := make(chan transport.Message, 8)
	slowBulk := transport.HandlerFunc(func(_ context.Context, msg transport.Message) {
		switch msg.Type {
		case protocol.StreamReliable, protocol.StreamLatencyFirst:
			entered <- struct{}{}
			<-block
		default:
			signals <- msg
		}
	})
	mA, mB, _, _ := pair(t, nil, slowBulk, transport.WithInboundQueueDepth(1))
	defer close(block)
	dest := transport.Actor(peerB)
	for range 2 { // one in the handler, one filling the queue
		if err := mA.Send(ctx, dest, protocol.StreamReliable, []byte("bulk")); err != nil {
			t.Fatal(err)
		}
	}
	<-entered
	if err := mA.Send(ctx, dest, protocol.RPCSignal, []byte("urgent")); err != nil {
		t.Fatal(err)
	}
	select {
	case msg := <-signals:
		if string(msg.Data) != "urgent" {
			t.Fatalf("got %q", msg.Data)
		}
	case <-ctx.Done():
		t.Fatal("RPC_SIGNAL stuck behind a blocked STREAM_RELIABLE consumer")
	}

	// A full reliable queue pushes back on the sender until its ctx ends.
	short, cancel := context.WithCancel(ctx)
	cancel()
	if err := mA.Send(short, dest, protocol.StreamReliable, []byte("more")); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send into a full reliable queue: %v, want it to wait for ctx", err)
	}

	// A full lossy queue drops, and says so.
	if err := mA.Send(ctx, dest, protocol.StreamLatencyFirst, []byte("1")); err != nil {
		t.Fatal(err)
	}
	<-entered
	if err := mA.Send(ctx, dest, protocol.StreamLatencyFirst, []byte("2")); err != nil {
		t.Fatal(err)
	}
	if err := mA.Send(ctx, dest, protocol.StreamLatencyFirst, []byte("3")); !errors.Is(err, transport.ErrInboundFull) {
		t.Fatalf("third latency-first message: %v, want ErrInboundFull", err)
	}
	if st := mB.Stats().Inbound; st.Dropped != 1 {
		t.Fatalf("inbound stats %+v, want 1 dropped", st)
	}
}

func TestInboundWithoutHandlerIsRefusedAndCounted(t *testing.T) {
	ctx := guard(t)
	mA, mB, _, _ := pair(t, nil, nil)
	err := mA.Send(ctx, transport.Actor(peerB), protocol.RPCReliable, nil)
	if !errors.Is(err, transport.ErrNoHandler) {
		t.Fatalf("Send to a node without handler: %v", err)
	}
	if st := mB.Stats().Inbound; st.Rejected != 1 {
		t.Fatalf("inbound stats %+v", st)
	}
}

func TestAdoptRejectsBadInput(t *testing.T) {
	ctx := guard(t)
	net, b := newFabric()
	m := newManager(t, b)
	other := transporttest.NewBuilder(net, actorID(5))
	ws, err := other.Build(ctx, transport.BuildRequest{Dest: transport.Actor(localID), Inbound: m.Inbound()})
	if err != nil {
		t.Fatal(err)
	}
	w := ws[0].(*transporttest.Wire)
	if err := m.Adopt(ctx, transport.Shell(), w); !errors.Is(err, transport.ErrInvalidDest) || !w.Closed() {
		t.Fatalf("Adopt for a shell dest: %v (closed=%v)", err, w.Closed())
	}
	_ = m.Close()
	w2 := ws[1].(*transporttest.Wire)
	if err := m.Adopt(ctx, actor(5), w2); !errors.Is(err, transport.ErrClosed) || !w2.Closed() {
		t.Fatalf("Adopt after Close: %v", err)
	}
}
