package natscluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// announce is a directory change of one of this server's actors.
type announce struct {
	up    bool
	actor signaling.ClusterActor
}

// Up implements signaling.Cluster: it queues the entry's write.
func (c *Cluster) Up(a signaling.ClusterActor) {
	a.Server = c.cfg.Name
	c.enqueue(announce{up: true, actor: a})
}

// Down implements signaling.Cluster: it queues the entry's removal.
func (c *Cluster) Down(id protocol.ActorID) {
	c.enqueue(announce{actor: signaling.ClusterActor{ID: id}})
}

func (c *Cluster) enqueue(a announce) {
	select {
	case c.queue <- a:
	default:
		// The server calls us under its lock: blocking here would stall
		// every connection for the sake of a slow bucket.
		c.counters.AnnounceDropped.Add(1)
	}
}

// follow starts the goroutines: the announcer, the watchers of the
// directory and of the keys, relays and heartbeats. It returns once the
// directory and the keys are loaded.
func (c *Cluster) follow(ctx context.Context) error {
	if err := c.subscribe(); err != nil {
		return err
	}
	dirReady, keysReady := make(chan struct{}), make(chan struct{})
	c.wg.Go(c.announcer)
	c.wg.Go(func() { c.watch(c.dir, dirReady, c.dirChanged) })
	c.wg.Go(func() { c.watch(c.keysKV, keysReady, c.keyChanged) })
	c.wg.Go(c.heartbeat)
	c.mu.Lock()
	c.joinedAt = time.Now()
	c.mu.Unlock()
	c.wg.Go(c.reaper)
	for _, ready := range []chan struct{}{dirReady, keysReady} {
		select {
		case <-ready:
		case <-ctx.Done():
			return fmt.Errorf("natscluster: loading the directory: %w", ctx.Err())
		case <-c.ctx.Done():
			return ErrClosed
		}
	}
	return nil
}

// announcer writes this server's directory changes in order. It owns the
// revisions of the entries it wrote, so that removing one never removes
// another server's newer entry of the same actor (it moved there).
//
// A write the bucket did not take is tried again, with backoff, before
// the next change: while JetStream elects new leaders (a NATS node died
// with its signaling server, say) every write fails for seconds, and an
// entry given up on would leave the actor where the rest of the realm
// cannot reach it (every other server would route to the dead one).
func (c *Cluster) announcer() {
	own := map[protocol.ActorID]uint64{}
	for {
		select {
		case <-c.ctx.Done():
			if !c.abandon.Load() {
				c.withdraw(own)
			}
			return
		case a := <-c.queue:
			c.announce(own, a)
		}
	}
}

// Backoff of announcements the bucket refused.
const (
	announceRetryMin = 50 * time.Millisecond
	announceRetryMax = 2 * time.Second
)

// announce applies a until it is done or the Cluster closes.
func (c *Cluster) announce(own map[protocol.ActorID]uint64, a announce) {
	wait := announceRetryMin
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(c.ctx, c.cfg.RequestTimeout)
		err := c.apply(ctx, own, a)
		cancel()
		if err == nil || c.ctx.Err() != nil {
			if err == nil && attempt > 1 {
				c.log.Info("natscluster: directory write done after retries", "actor", a.actor.ID.String(), "attempts", attempt)
			}
			return
		}
		c.counters.AnnounceFailed.Add(1)
		if attempt == 1 {
			c.log.Warn("natscluster: directory write failed; retrying", "actor", a.actor.ID.String(), "up", a.up, "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-c.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(2*wait, announceRetryMax)
	}
}

// apply writes one change; an error means it is worth trying again.
func (c *Cluster) apply(ctx context.Context, own map[protocol.ActorID]uint64, a announce) error {
	key := actorKey(a.actor.ID)
	if a.up {
		b, err := encodeActor(a.actor)
		if err != nil {
			// Ours, and no retry will change it.
			c.counters.AnnounceFailed.Add(1)
			c.log.Error("natscluster: directory entry not encodable", "actor", a.actor.ID.String(), "err", err)
			return nil
		}
		rev, err := c.dir.Put(ctx, key, b)
		if err != nil {
			return err
		}
		own[a.actor.ID] = rev
		return nil
	}
	rev, ok := own[a.actor.ID]
	if !ok {
		return nil
	}
	err := c.dir.Delete(ctx, key, jetstream.LastRevision(rev))
	switch {
	case err == nil, errors.Is(err, jetstream.ErrKeyRevisionMismatch), errors.Is(err, jetstream.ErrKeyNotFound):
		// Gone, or rewritten since: the actor is online on another
		// server now, whose entry stays.
		delete(own, a.actor.ID)
		return nil
	}
	return err
}

// withdraw removes this server's entries as it leaves, within one
// RequestTimeout in all.
func (c *Cluster) withdraw(own map[protocol.ActorID]uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.RequestTimeout)
	defer cancel()
	for id, rev := range own {
		if ctx.Err() != nil {
			return
		}
		_ = c.dir.Delete(ctx, actorKey(id), jetstream.LastRevision(rev))
	}
}

// watch follows kv, calling changed for each entry, and closes ready
// once the entries there at the start are read.
func (c *Cluster) watch(kv jetstream.KeyValue, ready chan struct{}, changed func(jetstream.KeyValueEntry)) {
	w, err := kv.WatchAll(c.ctx)
	if err != nil {
		c.log.Warn("natscluster: watch failed", "bucket", kv.Bucket(), "err", err)
		return
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case <-c.ctx.Done():
			return
		case e, ok := <-w.Updates():
			if !ok {
				return
			}
			if e == nil {
				if ready != nil {
					close(ready)
					ready = nil
				}
				continue
			}
			changed(e)
		}
	}
}

// dirChanged applies a directory change to the view of the other
// servers' actors and tells the server's subscribers.
func (c *Cluster) dirChanged(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		id, err := actorFromKey(e.Key())
		if err != nil {
			c.counters.Malformed.Add(1)
			return
		}
		c.mu.Lock()
		_, was := c.remote[id]
		delete(c.remote, id)
		delete(c.revs, id)
		c.mu.Unlock()
		if was {
			c.h.Presence(id, false)
		}
		return
	}
	a, err := decodeActor(e.Key(), e.Value())
	if err != nil {
		c.counters.Malformed.Add(1)
		c.log.Warn("natscluster: directory entry refused", "err", err)
		return
	}
	c.mu.Lock()
	old, was := c.remote[a.ID]
	if a.Server == c.cfg.Name {
		delete(c.remote, a.ID) // ours now: our own events told our subscribers
		delete(c.revs, a.ID)
	} else {
		c.remote[a.ID] = a
		c.revs[a.ID] = e.Revision()
	}
	c.mu.Unlock()
	// The handler takes the server's lock, which is held around calls
	// into us: never call it under ours.
	if a.Server != c.cfg.Name && (!was || old.Server != a.Server) {
		c.h.Presence(a.ID, true)
	}
}

// keyChanged trusts a signing key published to the cluster. Keys are
// never withdrawn here: a rotated-out key stays until the credentials it
// signed expire (the bucket is where an operator deletes it).
func (c *Cluster) keyChanged(e jetstream.KeyValueEntry) {
	if e.Operation() != jetstream.KeyValuePut {
		return
	}
	k, err := decodeKey(e.Key(), e.Value())
	if err != nil {
		c.counters.Malformed.Add(1)
		c.log.Warn("natscluster: signing key refused", "err", err)
		return
	}
	c.mu.Lock()
	c.keys[k.KeyID] = k.Ed25519
	c.mu.Unlock()
	c.h.KeyAdded(k.KeyID, k.Ed25519)
}
