package transport

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/actr-go/actr/protocol"
)

// InprocManager carries messages between the shell and the local workload
// of one process: Go channels of *protocol.RpcEnvelope, one bounded lane
// per data payload type and direction, and no serialisation. The receiver
// gets the sender's very envelope; the sender must not touch it after Send.
type InprocManager struct {
	lanes  [2][protocol.PayloadTypeCount]chan *protocol.RpcEnvelope // [shell, local]
	done   chan struct{}
	closer sync.Once
}

// InprocOption configures an InprocManager.
type InprocOption func(*inprocConfig)

type inprocConfig struct{ depth int }

// WithLaneDepth sets how many envelopes each lane buffers before Send
// blocks (default 256).
func WithLaneDepth(n int) InprocOption {
	return func(c *inprocConfig) {
		if n > 0 {
			c.depth = n
		}
	}
}

// NewInprocManager returns an open in-process manager.
func NewInprocManager(opts ...InprocOption) *InprocManager {
	cfg := inprocConfig{depth: 256}
	for _, o := range opts {
		o(&cfg)
	}
	m := &InprocManager{done: make(chan struct{})}
	for side := range m.lanes {
		for _, pt := range protocol.DataPayloadTypes() {
			m.lanes[side][pt] = make(chan *protocol.RpcEnvelope, cfg.depth)
		}
	}
	return m
}

func (m *InprocManager) lane(dest Dest, pt protocol.PayloadType) (chan *protocol.RpcEnvelope, error) {
	var side int
	switch dest.Kind() {
	case DestShell:
		side = 0
	case DestLocal:
		side = 1
	default:
		return nil, fmt.Errorf("%w: %s is not in-process; send it through an OutprocManager", ErrInvalidDest, dest)
	}
	if !validPayloadType(pt) || m.lanes[side][pt] == nil {
		return nil, &NoRouteError{Dest: dest, PayloadType: pt, Reason: "the payload type has no data lane"}
	}
	return m.lanes[side][pt], nil
}

// Send queues env for dest (Shell or Local) on pt's lane, waiting while the
// lane is full until ctx ends or the manager closes.
func (m *InprocManager) Send(ctx context.Context, dest Dest, pt protocol.PayloadType, env *protocol.RpcEnvelope) error {
	if env == nil {
		return errors.New("transport: InprocManager.Send: nil envelope")
	}
	ch, err := m.lane(dest, pt)
	if err != nil {
		return err
	}
	select {
	case <-m.done:
		return fmt.Errorf("%w: in-process manager", ErrClosed)
	default:
	}
	select {
	case ch <- env:
		return nil
	case <-m.done:
		return fmt.Errorf("%w: in-process manager", ErrClosed)
	case <-ctx.Done():
		return ctxError(ctx, "in-process send to "+dest.String())
	}
}

// Recv returns the next envelope sent to dest on pt's lane, waiting until
// one arrives, ctx ends or the manager closes. After Close it returns
// ErrClosed; envelopes still queued are discarded.
func (m *InprocManager) Recv(ctx context.Context, dest Dest, pt protocol.PayloadType) (*protocol.RpcEnvelope, error) {
	ch, err := m.lane(dest, pt)
	if err != nil {
		return nil, err
	}
	select {
	case <-m.done:
		return nil, fmt.Errorf("%w: in-process manager", ErrClosed)
	default:
	}
	select {
	case env := <-ch:
		return env, nil
	case <-m.done:
		return nil, fmt.Errorf("%w: in-process manager", ErrClosed)
	case <-ctx.Done():
		return nil, ctxError(ctx, "in-process receive for "+dest.String())
	}
}

// Close wakes every blocked Send and Recv with ErrClosed. It is idempotent.
// It starts no goroutines and so has none to wait for.
func (m *InprocManager) Close() error {
	m.closer.Do(func() { close(m.done) })
	return nil
}
