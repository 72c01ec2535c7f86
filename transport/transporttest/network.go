package transporttest

import (
	"context"
	"sync"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/transport"
)

// Acceptor takes the far ends of wires dialled to a node.
// *transport.OutprocManager implements it.
type Acceptor interface {
	Adopt(ctx context.Context, dest transport.Dest, w transport.Wire) error
	Inbound() transport.Inbound
}

// Network connects in-memory nodes by ActorID.
type Network struct {
	mu    sync.Mutex
	nodes map[protocol.ActorID]*Node
}

// NewNetwork returns an empty network.
func NewNetwork() *Network {
	return &Network{nodes: make(map[protocol.ActorID]*Node)}
}

// Node returns the node of id, creating it (unserved, recording) if needed.
func (n *Network) Node(id protocol.ActorID) *Node {
	n.mu.Lock()
	defer n.mu.Unlock()
	nd := n.nodes[id]
	if nd == nil {
		nd = &Node{id: id, rec: newRecorder()}
		n.nodes[id] = nd
	}
	return nd
}

// Node is one actor on the network.
type Node struct {
	id  protocol.ActorID
	rec *recorder

	mu       sync.Mutex
	acceptor Acceptor
}

// ID returns the node's actor id.
func (nd *Node) ID() protocol.ActorID { return nd.id }

// Serve makes a the node's acceptor: wires dialled to the node are adopted
// by a, and what they carry is delivered to a.Inbound().
func (nd *Node) Serve(a Acceptor) {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	nd.acceptor = a
}

func (nd *Node) serving() Acceptor {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.acceptor
}

// Messages returns what the node recorded (only while nobody serves it).
func (nd *Node) Messages() []transport.Message { return nd.rec.messages() }

// WaitMessages waits until the node has recorded at least n messages, or
// ctx ends.
func (nd *Node) WaitMessages(ctx context.Context, n int) ([]transport.Message, error) {
	return nd.rec.wait(ctx, n)
}

// recorder is the Inbound of an unserved node.
type recorder struct {
	mu      sync.Mutex
	msgs    []transport.Message
	changed chan struct{}
}

func newRecorder() *recorder { return &recorder{changed: make(chan struct{})} }

func (r *recorder) Deliver(_ context.Context, m transport.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	close(r.changed)
	r.changed = make(chan struct{})
	return nil
}

func (r *recorder) messages() []transport.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]transport.Message(nil), r.msgs...)
}

func (r *recorder) wait(ctx context.Context, n int) ([]transport.Message, error) {
	for {
		r.mu.Lock()
		if len(r.msgs) >= n {
			out := append([]transport.Message(nil), r.msgs...)
			r.mu.Unlock()
			return out, nil
		}
		ch := r.changed
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return r.messages(), ctx.Err()
		}
	}
}
