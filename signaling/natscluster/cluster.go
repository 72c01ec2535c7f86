package natscluster

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// Errors a Cluster returns, for errors.Is.
var (
	// ErrKeyIDTaken: another server published a different key under this
	// server's key id; give every server its own key id.
	ErrKeyIDTaken = errors.New("natscluster: another key is published under this key id")
	// ErrClosed: the Cluster was closed.
	ErrClosed = errors.New("natscluster: closed")
	// ErrUnknownServer: a relay names a server that is not a valid name.
	ErrUnknownServer = errors.New("natscluster: no such server")
)

// Cluster is a signaling.Cluster over NATS. Make it with New, give it to
// signaling.ServerConfig.Cluster; the server joins and closes it.
type Cluster struct {
	cfg Config
	log *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	nc      *nats.Conn
	js      jetstream.JetStream
	dir     jetstream.KeyValue
	keysKV  jetstream.KeyValue
	serials jetstream.KeyValue
	relay   *nats.Subscription
	beats   *nats.Subscription
	h       signaling.ClusterHandler

	joined, closed atomic.Bool
	abandon        atomic.Bool // CloseNow: leave without withdrawing
	queue          chan announce

	mu     sync.Mutex
	remote map[protocol.ActorID]signaling.ClusterActor // other servers' online actors
	revs   map[protocol.ActorID]uint64                 // the bucket revision of each entry of remote
	// joinedAt starts the grace of servers whose entries we find but
	// whose heartbeats we never heard.
	joinedAt time.Time
	keys     map[uint32]ed25519.PublicKey
	seen     map[string]time.Time // server name → last heartbeat
	lo, hi   uint64               // the serial block left: [lo, hi)

	counters Counters
}

// Counters count what a Cluster did.
type Counters struct {
	// AnnounceDropped: directory changes dropped because the queue was
	// full; AnnounceFailed: writes the bucket refused; Malformed:
	// messages from the cluster that did not decode; SerialBlocks: serial
	// blocks reserved; Reaped: directory entries of dead servers' actors
	// dropped.
	AnnounceDropped, AnnounceFailed, Malformed, SerialBlocks, Reaped atomic.Uint64
}

// New returns a Cluster for cfg; it connects when the server joins it.
func New(cfg Config) (*Cluster, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, log: cfg.Logger,
		queue:  make(chan announce, cfg.AnnounceQueue),
		remote: map[protocol.ActorID]signaling.ClusterActor{},
		revs:   map[protocol.ActorID]uint64{},
		keys:   map[uint32]ed25519.PublicKey{},
		seen:   map[string]time.Time{},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Name is this server's name in the cluster.
func (c *Cluster) Name() string { return c.cfg.Name }

// Counters returns the cluster's counters.
func (c *Cluster) Counters() *Counters { return &c.counters }

// Join implements signaling.Cluster: it connects, makes the buckets,
// publishes key, loads the directory and the keys, and starts the
// goroutines that follow them.
func (c *Cluster) Join(ctx context.Context, key signaling.ClusterKey, h signaling.ClusterHandler) error {
	if c.closed.Load() {
		return ErrClosed
	}
	if !c.joined.CompareAndSwap(false, true) {
		return errors.New("natscluster: joined twice")
	}
	c.h = h
	if err := c.connect(ctx); err != nil {
		return err
	}
	if err := c.publishKey(ctx, key); err != nil {
		c.nc.Close()
		return err
	}
	if err := c.follow(ctx); err != nil {
		c.cancel()
		c.wg.Wait()
		c.nc.Close()
		return err
	}
	return nil
}

func (c *Cluster) connect(ctx context.Context) error {
	dl, ok := ctx.Deadline()
	timeout := c.cfg.RequestTimeout
	if ok {
		timeout = time.Until(dl)
	}
	opts := append([]nats.Option{nats.Name("actr-signal " + c.cfg.Name), nats.Timeout(timeout),
		nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}, c.cfg.Options...)
	nc, err := nats.Connect(strings.Join(c.cfg.URLs, ","), opts...)
	if err != nil {
		return fmt.Errorf("natscluster: connecting to %v: %w", c.cfg.URLs, err)
	}
	c.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("natscluster: %w", err)
	}
	c.js = js
	for _, b := range []struct {
		kv   *jetstream.KeyValue
		name string
	}{{&c.dir, "dir"}, {&c.keysKV, "keys"}, {&c.serials, "serials"}} {
		kv, err := c.bucket(ctx, c.cfg.Prefix+"_"+b.name)
		if err != nil {
			nc.Close()
			return err
		}
		*b.kv = kv
	}
	return nil
}

// bucket makes (or opens) a bucket, retrying while JetStream elects its
// leaders: a NATS cluster that has just started answers "no responders"
// or "unavailable" for a while.
func (c *Cluster) bucket(ctx context.Context, name string) (jetstream.KeyValue, error) {
	var last error
	for {
		// Each attempt on its own deadline: one sent before the leaders
		// are elected may never be answered.
		actx, cancel := context.WithTimeout(ctx, time.Second)
		kv, err := c.js.CreateOrUpdateKeyValue(actx, jetstream.KeyValueConfig{Bucket: name, Replicas: c.cfg.Replicas, History: 1, Storage: jetstream.FileStorage})
		cancel()
		if err == nil {
			return kv, nil
		}
		if !errors.Is(err, context.DeadlineExceeded) || last == nil {
			last = err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("natscluster: bucket %s: %w (%w)", name, last, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// publishKey stores this server's signing key under its id, unless the
// same key is there (a restart); a different one is ErrKeyIDTaken.
func (c *Cluster) publishKey(ctx context.Context, key signaling.ClusterKey) error {
	b, err := encodeKey(key, c.cfg.Name)
	if err != nil {
		return err
	}
	if _, err := c.keysKV.Create(ctx, keyKey(key.KeyID), b); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("natscluster: publishing key %d: %w", key.KeyID, err)
	}
	e, err := c.keysKV.Get(ctx, keyKey(key.KeyID))
	if err != nil {
		return fmt.Errorf("natscluster: reading key %d: %w", key.KeyID, err)
	}
	old, err := decodeKey(e.Key(), e.Value())
	if err != nil || !ed25519.PublicKey(old.Ed25519).Equal(key.Public) {
		return fmt.Errorf("%w: key id %d", ErrKeyIDTaken, key.KeyID)
	}
	return nil
}

// Healthy implements signaling.Cluster.
func (c *Cluster) Healthy() bool {
	return c.joined.Load() && !c.closed.Load() && c.nc != nil && c.nc.IsConnected()
}

// Lookup implements signaling.Cluster.
func (c *Cluster) Lookup(id protocol.ActorID) (signaling.ClusterActor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.remote[id]
	return a, ok
}

// Remote implements signaling.Cluster.
func (c *Cluster) Remote(realm uint32) []signaling.ClusterActor {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []signaling.ClusterActor
	for id, a := range c.remote {
		if id.Realm == realm {
			out = append(out, a)
		}
	}
	return out
}

// ActorsPerServer counts the other servers' online actors, by server.
func (c *Cluster) ActorsPerServer() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for _, a := range c.remote {
		out[a.Server]++
	}
	return out
}

// Keys implements signaling.Cluster.
func (c *Cluster) Keys() map[uint32]ed25519.PublicKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[uint32]ed25519.PublicKey, len(c.keys))
	for id, k := range c.keys {
		out[id] = k
	}
	return out
}

// Close implements signaling.Cluster: it withdraws this server's actors
// from the directory (within RequestTimeout), stops the goroutines and
// closes the connection.
func (c *Cluster) Close() error {
	return c.close()
}

// CloseNow leaves the cluster as a crash would: it stops the goroutines
// and closes the connection without withdrawing this server's actors,
// which the other servers drop once they stop hearing this one (about
// five seconds) or as the actors reconnect to them. For a server that
// must stop at once, and for tests of failover.
func (c *Cluster) CloseNow() error {
	c.abandon.Store(true)
	return c.close()
}

func (c *Cluster) close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	c.cancel()
	c.wg.Wait()
	if c.nc != nil {
		c.nc.Close()
	}
	return nil
}
