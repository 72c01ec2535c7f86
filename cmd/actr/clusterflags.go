package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/actr-go/actr/signaling/natscluster"
)

// clusterFlags are actr signal's flags for running in a cluster of
// signaling servers over NATS: joining a NATS deployment (--cluster),
// running a NATS node inside the process (--nats-listen and the routes
// to the other servers' nodes), or both.
type clusterFlags struct {
	join          string
	natsListen    string
	routeListen   string
	routes        string
	store         string
	clusterName   string
	serverName    string
	replicas      int
	embedded      *natscluster.Embedded
	backplane     *natscluster.Cluster
	advertisedURL string
}

func addClusterFlags(f *flags) *clusterFlags {
	c := &clusterFlags{}
	f.StringVar(&c.join, "cluster", "", "join a signaling cluster through these NATS servers (nats://host:port, comma-separated); every server of the cluster serves every actor")
	f.StringVar(&c.natsListen, "nats-listen", "", "run a NATS server inside this process, taking clients on this address (the cluster's other signaling servers may use it too)")
	f.StringVar(&c.routeListen, "nats-cluster-listen", "", "with --nats-listen: the address the embedded NATS server takes routes from the other servers' on")
	f.StringVar(&c.routes, "nats-routes", "", "with --nats-cluster-listen: every embedded NATS server's route URL (nats://host:port, comma-separated; this one's may be among them)")
	f.StringVar(&c.store, "nats-store", "", "with --nats-listen: the directory JetStream keeps its data in (default: beside the key file, nats-<server name>)")
	f.StringVar(&c.clusterName, "cluster-name", "actr", "the cluster's name: the same on every server (the NATS cluster's name, and the audience proofs of possession name, so that an actor resumes on any server)")
	f.StringVar(&c.serverName, "server-name", "", "this server's name in the cluster: letters, digits, - and _ (default: random)")
	f.IntVar(&c.replicas, "cluster-replicas", 0, "copies JetStream keeps of the directory, keys and serials (default: 3 with routes to 3 or more NATS servers, else 1)")
	return c
}

// enabled reports whether the server runs in a cluster.
func (c *clusterFlags) enabled() bool { return c.join != "" || c.natsListen != "" }

// check refuses combinations that cannot work.
func (c *clusterFlags) check() error {
	switch {
	case c.routeListen != "" && c.natsListen == "":
		return usageError("--nats-cluster-listen needs --nats-listen")
	case c.routes != "" && c.routeListen == "":
		return usageError("--nats-routes needs --nats-cluster-listen")
	case c.store != "" && c.natsListen == "":
		return usageError("--nats-store needs --nats-listen")
	case c.replicas < 0 || c.replicas > 5:
		return usageError("--cluster-replicas takes 1 to 5")
	case !validToken(c.clusterName):
		return usageError("--cluster-name %q: want letters, digits, - or _", c.clusterName)
	case c.serverName != "" && !validToken(c.serverName):
		return usageError("--server-name %q: want letters, digits, - or _", c.serverName)
	}
	return nil
}

func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// start runs the embedded NATS server when asked and makes the
// backplane the signaling server joins; close undoes it.
func (c *clusterFlags) start(keyFile string, log *slog.Logger) (*natscluster.Cluster, error) {
	if c.serverName == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		c.serverName = "sig-" + hex.EncodeToString(b[:])
	}
	urls := splitList(c.join)
	routes := splitList(c.routes)
	if c.natsListen != "" {
		store := c.store
		if store == "" {
			store = filepath.Join(filepath.Dir(keyFile), "nats-"+c.serverName)
		}
		if err := os.MkdirAll(store, 0o700); err != nil {
			return nil, fmt.Errorf("the NATS store: %w", err)
		}
		e, err := natscluster.StartEmbedded(natscluster.EmbeddedConfig{Name: c.serverName, Listen: c.natsListen,
			ClusterName: c.clusterName, RouteListen: c.routeListen, Routes: routes, StoreDir: store})
		if err != nil {
			return nil, err
		}
		c.embedded = e
		c.advertisedURL = e.ClientURL()
		urls = append([]string{e.ClientURL()}, urls...)
	}
	replicas := c.replicas
	if replicas == 0 {
		replicas = 1
		if len(routes) >= 3 {
			replicas = 3
		}
	}
	b, err := natscluster.New(natscluster.Config{URLs: urls, Name: c.serverName, Replicas: replicas,
		Logger: log.With("layer", "cluster")})
	if err != nil {
		c.close()
		return nil, err
	}
	c.backplane = b
	return b, nil
}

// audienceName is what every server of the cluster names itself in
// proofs of possession (signaling.ServerConfig.Name).
func (c *clusterFlags) audienceName() string { return "actr-signal-cluster:" + c.clusterName }

// close shuts the embedded NATS server down (the signaling server closes
// the backplane).
func (c *clusterFlags) close() {
	if c.embedded != nil {
		c.embedded.Shutdown()
	}
}
