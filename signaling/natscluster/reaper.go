package natscluster

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/actr-go/actr/protocol"
)

// maxReapPerSweep bounds the directory entries one sweep deletes from
// the bucket, so that a dead server with many actors costs the survivors
// a bounded burst of writes per heartbeat; the rest go on later sweeps
// (they leave the view at once).
const maxReapPerSweep = 1024

// reaper drops the directory entries of servers that died without
// withdrawing them: a server not heard for serverAlive (or, one never
// heard, for serverAlive since this one joined) is dead. Its actors leave
// the view at once, with a down event to local subscribers, and the
// entries are deleted from the bucket on the revision seen, so that one
// the actor has since rewritten from a new server stays. Every survivor
// may try; the revision lets one succeed. A server that cannot hear its
// own heartbeat (it is cut from NATS) judges nobody.
func (c *Cluster) reaper() {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
		c.sweep(time.Now())
	}
}

type reaped struct {
	id  protocol.ActorID
	rev uint64
}

func (c *Cluster) sweep(now time.Time) {
	if !c.Healthy() {
		return
	}
	var gone []reaped
	c.mu.Lock()
	if now.Sub(c.seen[c.cfg.Name]) > serverAlive {
		c.mu.Unlock()
		return // our heartbeats do not come back: we cannot judge others
	}
	dead := map[string]bool{}
	for id, a := range c.remote {
		d, judged := dead[a.Server]
		if !judged {
			last := c.seen[a.Server]
			if last.Before(c.joinedAt) {
				last = c.joinedAt // never heard since we joined: its grace starts then
			}
			d = now.Sub(last) > serverAlive
			dead[a.Server] = d
		}
		if d {
			gone = append(gone, reaped{id: id, rev: c.revs[id]})
			delete(c.remote, id)
			delete(c.revs, id)
		}
	}
	c.mu.Unlock()
	if len(gone) == 0 {
		return
	}
	c.counters.Reaped.Add(uint64(len(gone)))
	c.log.Info("natscluster: dropping the actors of servers not heard from", "actors", len(gone))
	for _, g := range gone {
		c.h.Presence(g.id, false)
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.cfg.RequestTimeout)
	defer cancel()
	for i, g := range gone {
		if i == maxReapPerSweep || ctx.Err() != nil {
			break
		}
		if g.rev == 0 {
			continue
		}
		// Refused when the actor was rewritten since (it moved) or
		// another survivor deleted it first: both fine.
		_ = c.dir.Delete(ctx, actorKey(g.id), jetstream.LastRevision(g.rev))
	}
}
