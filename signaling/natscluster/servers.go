package natscluster

import (
	"time"

	"github.com/nats-io/nats.go"
)

// Heartbeats: each server publishes its name every heartbeatEvery; a
// server not heard for serverAlive is not counted in Servers.
const (
	heartbeatEvery = time.Second
	serverAlive    = 5 * heartbeatEvery
)

func (c *Cluster) heartbeatSubject() string { return c.cfg.Prefix + ".servers" }

func (c *Cluster) heartbeat() {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		_ = c.nc.Publish(c.heartbeatSubject(), []byte(c.cfg.Name))
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Cluster) heard(m *nats.Msg) {
	name := string(m.Data)
	if !validName(name) {
		c.counters.Malformed.Add(1)
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[name] = now
	// Forget the long gone, so that names a hostile publisher invents do
	// not pile up.
	for n, at := range c.seen {
		if now.Sub(at) > 10*serverAlive {
			delete(c.seen, n)
		}
	}
}

// Servers implements signaling.Cluster: the servers heard from lately,
// this one included.
func (c *Cluster) Servers() int {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, at := range c.seen {
		if now.Sub(at) <= serverAlive {
			n++
		}
	}
	return n
}
