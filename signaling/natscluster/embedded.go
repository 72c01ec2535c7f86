package natscluster

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// EmbeddedConfig configures a NATS server run inside the process.
type EmbeddedConfig struct {
	// Name of the NATS server, unique in its NATS cluster (required with
	// routes: JetStream's replication names its peers).
	Name string
	// Listen is the HOST:PORT clients (signaling servers) connect to;
	// port 0 picks one.
	Listen string
	// ClusterName and RouteListen (HOST:PORT, port 0 picks one) make it
	// a member of a NATS cluster, with Routes the other members' route
	// URLs (nats://host:port). Without RouteListen it runs alone.
	ClusterName string
	RouteListen string
	Routes      []string
	// StoreDir keeps JetStream's data (default: a temporary directory
	// removed by Shutdown).
	StoreDir string
	// ReadyTimeout bounds the wait for the server to accept clients
	// (default 10 s).
	ReadyTimeout time.Duration
}

// Embedded is a running embedded NATS server.
type Embedded struct {
	srv    *server.Server
	tmpDir string
}

// StartEmbedded starts a NATS server with JetStream and waits until it
// accepts clients.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("natscluster: Listen: %w", err)
	}
	e := &Embedded{}
	opts := &server.Options{ServerName: cfg.Name, Host: host, Port: port, JetStream: true,
		StoreDir: cfg.StoreDir, NoLog: true, NoSigs: true}
	if opts.StoreDir == "" {
		d, err := os.MkdirTemp("", "actr-nats-")
		if err != nil {
			return nil, err
		}
		e.tmpDir, opts.StoreDir = d, d
	}
	if cfg.RouteListen != "" {
		if cfg.Name == "" || cfg.ClusterName == "" {
			e.cleanup()
			return nil, errors.New("natscluster: a clustered NATS server needs a Name and a ClusterName")
		}
		rh, rp, err := splitHostPort(cfg.RouteListen)
		if err != nil {
			e.cleanup()
			return nil, fmt.Errorf("natscluster: RouteListen: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: rh, Port: rp}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil || u.Host == "" {
				e.cleanup()
				return nil, fmt.Errorf("natscluster: route %q is not a nats://host:port URL", r)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		e.cleanup()
		return nil, fmt.Errorf("natscluster: %w", err)
	}
	e.srv = srv
	srv.Start()
	wait := cfg.ReadyTimeout
	if wait <= 0 {
		wait = 10 * time.Second
	}
	if !srv.ReadyForConnections(wait) {
		e.Shutdown()
		return nil, fmt.Errorf("natscluster: the embedded NATS server did not start within %v", wait)
	}
	return e, nil
}

// ClientURL is the nats:// URL clients connect to.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// RouteURL is the nats:// URL other members route to ("" when alone).
func (e *Embedded) RouteURL() string {
	a := e.srv.ClusterAddr()
	if a == nil {
		return ""
	}
	return "nats://" + a.String()
}

// Shutdown stops the server, waits for it, and removes its temporary
// store.
func (e *Embedded) Shutdown() {
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
	e.cleanup()
}

func (e *Embedded) cleanup() {
	if e.tmpDir != "" {
		_ = os.RemoveAll(e.tmpDir)
	}
}

func splitHostPort(hp string) (string, int, error) {
	h, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 65535 {
		return "", 0, fmt.Errorf("port %q", p)
	}
	if n == 0 {
		// nats-server's "pick a port" is -1: its 0 means the default
		// port (clients) or none (routes).
		n = server.RANDOM_PORT
	}
	return h, n, nil
}
