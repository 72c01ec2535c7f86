package natscluster

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
)

// Config configures a Cluster.
type Config struct {
	// URLs of the NATS deployment (nats://host:port), required.
	URLs []string
	// Name is this server's name in the cluster: one token of letters,
	// digits, - and _ (default: random). Relays to its actors are sent to
	// a subject with this name.
	Name string
	// Prefix of the buckets and subjects the cluster uses (default
	// "actr"), so that several realms can share one NATS deployment.
	Prefix string
	// Replicas of each bucket (default 1; 3 in a three-node NATS cluster
	// keeps the directory through the loss of a node).
	Replicas int
	// SerialBlock is how many serials a server reserves at once
	// (default 4096).
	SerialBlock uint64
	// RequestTimeout bounds each NATS request or bucket operation made
	// without a caller's deadline (default 2 s).
	RequestTimeout time.Duration
	// AnnounceQueue bounds the directory changes waiting to be written
	// (default 4096); beyond, changes are dropped and counted.
	AnnounceQueue int
	// Options are added to the NATS connection's (after ours).
	Options []nats.Option
	// Logger (default: discard).
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if len(c.URLs) == 0 {
		return fmt.Errorf("natscluster: Config.URLs is required")
	}
	if c.Name == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		c.Name = "s-" + hex.EncodeToString(b[:])
	}
	if !validName(c.Name) {
		return fmt.Errorf("natscluster: Config.Name %q: want 1 to 64 letters, digits, - or _", c.Name)
	}
	if c.Prefix == "" {
		c.Prefix = "actr"
	}
	if !validName(c.Prefix) {
		return fmt.Errorf("natscluster: Config.Prefix %q: want 1 to 64 letters, digits, - or _", c.Prefix)
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.SerialBlock == 0 {
		c.SerialBlock = 4096
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 2 * time.Second
	}
	if c.AnnounceQueue <= 0 {
		c.AnnounceQueue = 4096
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
