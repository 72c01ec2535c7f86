package main

import (
	"context"
	"errors"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// serveNATS embeds a nats-server and, in the same process, a nats.go
// client connected to it over loopback TCP that answers requests on
// "echo" and counts messages published on "sink".
func serveNATS(_ context.Context, c *counter) ([]string, func(), error) {
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, nil, err
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		ns.Shutdown()
		return nil, nil, errors.New("nats-server not ready")
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		ns.Shutdown()
		return nil, nil, err
	}
	stop := func() {
		nc.Close()
		ns.Shutdown()
		ns.WaitForShutdown()
	}
	echo, err := nc.Subscribe("echo", func(m *nats.Msg) { _ = m.Respond(m.Data) })
	if err != nil {
		stop()
		return nil, nil, err
	}
	sink, err := nc.Subscribe("sink", func(*nats.Msg) { c.inc() })
	if err != nil {
		stop()
		return nil, nil, err
	}
	// No client-side slow-consumer drops: every message is to be counted.
	for _, s := range []*nats.Subscription{echo, sink} {
		if err := s.SetPendingLimits(-1, -1); err != nil {
			stop()
			return nil, nil, err
		}
	}
	if err := nc.Flush(); err != nil {
		stop()
		return nil, nil, err
	}
	return []string{ns.ClientURL()}, stop, nil
}

type natsConn struct{ nc *nats.Conn }

func dialNATS(_ context.Context, _ *harness, info []string) (conn, time.Duration, error) {
	nc, err := nats.Connect(info[0])
	if err != nil {
		return nil, 0, err
	}
	return &natsConn{nc: nc}, 0, nil
}

func (c *natsConn) roundTripper(size int) (func(context.Context) error, error) {
	p := payload(tagEcho, size)
	return func(ctx context.Context) error {
		_, err := c.nc.RequestWithContext(ctx, "echo", p)
		return err
	}, nil
}

func (c *natsConn) sender(_ context.Context, size int) (func(context.Context) error, error) {
	p := payload(tagSink, size)
	return func(context.Context) error { return c.nc.Publish("sink", p) }, nil
}

func (c *natsConn) close() { c.nc.Close() }
