package natscluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// Pending limits of the relay subscription: a server that other servers
// relay to faster than its actors read drops (NATS counts them as slow
// consumer drops; the senders time out and report 503) rather than
// queueing without bound.
const (
	relayPendingMsgs  = 8192
	relayPendingBytes = 32 << 20
)

func (c *Cluster) relaySubject(server string) string { return c.cfg.Prefix + ".relay." + server }

// subscribe starts serving relays to this server and heartbeats.
func (c *Cluster) subscribe() error {
	sub, err := c.nc.Subscribe(c.relaySubject(c.cfg.Name), c.serveRelay)
	if err != nil {
		return fmt.Errorf("natscluster: subscribing to relays: %w", err)
	}
	if err := sub.SetPendingLimits(relayPendingMsgs, relayPendingBytes); err != nil {
		return err
	}
	c.relay = sub
	beats, err := c.nc.Subscribe(c.heartbeatSubject(), c.heard)
	if err != nil {
		return fmt.Errorf("natscluster: subscribing to heartbeats: %w", err)
	}
	c.beats = beats
	return nil
}

// serveRelay delivers a relay another server sent and answers it.
func (c *Cluster) serveRelay(m *nats.Msg) {
	r, err := decodeRelay(m.Data)
	var ans *protocol.ErrorResponse
	if err != nil {
		c.counters.Malformed.Add(1)
		ans = &protocol.ErrorResponse{Code: ptr(uint32(signaling.CodeBadRequest)), Message: ptr(err.Error())}
	} else {
		ans = c.h.DeliverRelay(r)
	}
	if m.Reply != "" {
		_ = m.Respond(encodeAnswer(ans))
	}
}

// Relay implements signaling.Cluster.
func (c *Cluster) Relay(ctx context.Context, server string, r signaling.ClusterRelay) (*protocol.ErrorResponse, error) {
	if c.closed.Load() {
		return nil, ErrClosed
	}
	if !validName(server) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownServer, server)
	}
	b, err := encodeRelay(r)
	if err != nil {
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	m, err := c.nc.RequestWithContext(ctx, c.relaySubject(server), b)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return nil, fmt.Errorf("%w: %s (%w)", ErrUnknownServer, server, signaling.ErrClusterUnavailable)
		}
		return nil, fmt.Errorf("natscluster: relay to %s: %w (%w)", server, err, signaling.ErrClusterUnavailable)
	}
	ans, err := decodeAnswer(m.Data)
	if err != nil {
		c.counters.Malformed.Add(1)
		return nil, err
	}
	return ans, nil
}

func ptr[T any](v T) *T { return &v }
