// Package natsclustertest runs a cluster of signaling servers over
// embedded NATS nodes on 127.0.0.1, for tests: n NATS nodes routed to
// each other and n signaling servers, one joined to each.
package natsclustertest

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster"
)

// Audience is every server's ServerConfig.Name: a cluster's servers share
// it, so that a proof of possession made for one is good on all, and an
// actor resumes on any.
const Audience = "actr-test-cluster"

// Cluster is the NATS nodes and the signaling servers.
type Cluster struct {
	NATS    []*natscluster.Embedded
	Servers []*Server
}

// Server is one signaling server of the cluster.
type Server struct {
	Srv       *signaling.Server
	Listener  *signaling.Listener
	Backplane *natscluster.Cluster
	Verifier  *auth.Verifier // the server's: its own key, and the cluster's as they come
	URL       string         // its base URL, ws://127.0.0.1:port/
	NATSURL   string         // the NATS node it is joined to
}

// Start runs n NATS nodes and n signaling servers (server i on node i,
// key id i+1), stopped when the test ends. base is each server's
// configuration: Issuer, Verifier, Name and Cluster are set here; an open
// default policy is set when base has no policy at all.
func Start(t testing.TB, n int, base signaling.ServerConfig) *Cluster {
	t.Helper()
	c := &Cluster{NATS: StartNATS(t, n)}
	for i, node := range c.NATS {
		c.Servers = append(c.Servers, StartServer(t, i+1, node.ClientURL(), n, base))
	}
	return c
}

// URLs returns the servers' URLs, from server first on, round the ring:
// what an actor that prefers server first is given.
func (c *Cluster) URLs(first int) []string {
	var out []string
	for k := range c.Servers {
		out = append(out, c.Servers[(first+k)%len(c.Servers)].URL)
	}
	return out
}

// StartNATS starts n embedded NATS nodes routed to each other, with
// JetStream, on 127.0.0.1, shut down when the test ends.
func StartNATS(t testing.TB, n int) []*natscluster.Embedded {
	t.Helper()
	// A clustered JetStream needs its routes from the start, so every
	// node must know every route address before any starts: reserve
	// them, then free them for the nodes (another process could take one
	// in between; on 127.0.0.1 in a test, unlikely).
	var addrs, routes []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		routes = append(routes, "nats://"+ln.Addr().String())
		_ = ln.Close()
	}
	var nodes []*natscluster.Embedded
	for i := range n {
		e, err := natscluster.StartEmbedded(natscluster.EmbeddedConfig{
			Name: fmt.Sprintf("n%d", i+1), Listen: "127.0.0.1:0", ClusterName: "actr-test",
			RouteListen: addrs[i], Routes: routes, StoreDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(e.Shutdown)
		nodes = append(nodes, e)
	}
	return nodes
}

// StartServer runs signaling server i (named sig<i>, key id i) joined to
// the NATS node at natsURL only: it does not fail over to the other
// nodes, so that stopping that node cuts it off.
func StartServer(t testing.TB, i int, natsURL string, replicas int, base signaling.ServerConfig) *Server {
	t.Helper()
	iss, err := auth.GenerateIssuer(uint32(i))
	if err != nil {
		t.Fatal(err)
	}
	cl, err := natscluster.New(natscluster.Config{URLs: []string{natsURL}, Name: fmt.Sprintf("sig%d", i),
		Replicas: replicas, RequestTimeout: 5 * time.Second, Options: []nats.Option{nats.IgnoreDiscoveredServers()}})
	if err != nil {
		t.Fatal(err)
	}
	ver := auth.NewVerifier(nil)
	if err := ver.AddKey(iss.KeyID(), iss.PublicKey()); err != nil {
		t.Fatal(err)
	}
	cfg := base
	cfg.Issuer, cfg.Verifier, cfg.Name, cfg.Cluster = iss, ver, Audience, cl
	if cfg.Realms == nil && cfg.DefaultPolicy == (signaling.RegistrationPolicy{}) {
		cfg.DefaultPolicy = signaling.RegistrationPolicy{Open: true}
	}
	srv, err := signaling.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		_ = srv.Close()
		t.Fatal(err)
	}
	s := &Server{Srv: srv, Listener: ln, Backplane: cl, Verifier: ver, URL: ln.URL(), NATSURL: natsURL}
	t.Cleanup(func() {
		_ = ln.Close()
		_ = srv.Close()
	})
	return s
}

// Kill stops the server as a crash would: its backplane leaves without
// withdrawing its actors, and its clients' connections drop.
func (s *Server) Kill() {
	_ = s.Backplane.CloseNow()
	_ = s.Listener.Close()
	_ = s.Srv.Close()
}
