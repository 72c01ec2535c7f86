package rpc_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/rpc"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

var (
	alice = protocol.ActorID{Realm: 1, Serial: 1, Manufacturer: "acme", Name: "alice", Version: "0"}
	bob   = protocol.ActorID{Realm: 1, Serial: 2, Manufacturer: "acme", Name: "bob", Version: "0"}
	carol = protocol.ActorID{Realm: 1, Serial: 3, Manufacturer: "acme", Name: "carol", Version: "0"}
)

func guard(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// fabric connects endpoints in one process without a transport: a Send
// runs the destination's ServeMessage on the sender's goroutine. It
// records what was sent.
type fabric struct {
	mu   sync.Mutex
	eps  map[protocol.ActorID]*rpc.Endpoint
	sent []sent
}

type sent struct {
	from, to protocol.ActorID
	lane     protocol.PayloadType
	data     []byte
}

var errGone = errors.New("fabric: no such endpoint (closed)")

func newFabric() *fabric { return &fabric{eps: map[protocol.ActorID]*rpc.Endpoint{}} }

// endpoint makes an endpoint for id on the fabric, closed at the test's end.
func (f *fabric) endpoint(t *testing.T, id protocol.ActorID, cfg rpc.Config) *rpc.Endpoint {
	t.Helper()
	e := rpc.New(cfg)
	e.Bind(fabricSender{f, id})
	f.mu.Lock()
	f.eps[id] = e
	f.mu.Unlock()
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func (f *fabric) sends() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sent(nil), f.sent...)
}

type fabricSender struct {
	f    *fabric
	from protocol.ActorID
}

func (s fabricSender) Send(ctx context.Context, dest protocol.ActorID, pt protocol.PayloadType, data []byte) error {
	s.f.mu.Lock()
	e := s.f.eps[dest]
	s.f.sent = append(s.f.sent, sent{s.from, dest, pt, bytes.Clone(data)})
	s.f.mu.Unlock()
	if e == nil {
		return errGone
	}
	e.ServeMessage(ctx, transport.Message{From: s.from, Type: pt, Data: bytes.Clone(data)})
	return nil
}

// pair is two endpoints over real OutprocManagers on the in-memory
// network of transporttest (so the transport's inbound queues are in the
// path).
func pair(t *testing.T, acfg, bcfg rpc.Config) (a, b *rpc.Endpoint, am, bm *transport.OutprocManager) {
	t.Helper()
	net := transporttest.NewNetwork()
	mk := func(id protocol.ActorID, cfg rpc.Config) (*rpc.Endpoint, *transport.OutprocManager) {
		e := rpc.New(cfg)
		m, err := transport.NewOutprocManager(id, transporttest.NewBuilder(net, id, transport.WireWebSocket), transport.WithHandler(e))
		if err != nil {
			t.Fatal(err)
		}
		e.Bind(rpc.ManagerSender(m))
		net.Node(id).Serve(m)
		t.Cleanup(func() {
			_ = m.Close()
			_ = e.Close()
		})
		return e, m
	}
	a, am = mk(alice, acfg)
	b, bm = mk(bob, bcfg)
	return a, b, am, bm
}

func echo(_ context.Context, req *rpc.Request) ([]byte, error) {
	return append([]byte("echo:"), req.Payload...), nil
}
