package natscluster_test

import (
	"context"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster"
	"github.com/actr-go/actr/signaling/natscluster/natsclustertest"
)

var (
	typeA = signaling.ActorType{Manufacturer: "acme", Name: "a", Version: "1"}
	typeB = signaling.ActorType{Manufacturer: "acme", Name: "b", Version: "1"}
)

func guard(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// natsCluster starts n embedded NATS servers routed to each other, on
// 127.0.0.1, stopped when the test ends.
func natsCluster(t testing.TB, n int) []*natscluster.Embedded { return natsclustertest.StartNATS(t, n) }

// member is a signaling server of the cluster.
type member struct {
	srv     *signaling.Server
	ln      *signaling.Listener
	cl      *natscluster.Cluster
	ver     *auth.Verifier
	url     string
	natsURL string
}

// startMember runs signaling server i (key id i) joined to the NATS
// server at natsURL only (natsclustertest.StartServer). Each of opts, if
// any, changes the ServerConfig before the server starts (benchLimits
// raises the rate limits for benchmarks); without them it is the tests'
// configuration.
func startMember(t testing.TB, i int, natsURL string, replicas int, opts ...func(*signaling.ServerConfig)) *member {
	t.Helper()
	var base signaling.ServerConfig
	for _, o := range opts {
		o(&base)
	}
	s := natsclustertest.StartServer(t, i, natsURL, replicas, base)
	return &member{srv: s.Srv, ln: s.Listener, cl: s.Backplane, ver: s.Verifier, url: s.URL, natsURL: natsURL}
}

// threeServers is the cluster of the issue: three NATS nodes, three
// signaling servers, one on each.
func threeServers(t testing.TB) ([]*natscluster.Embedded, []*member) {
	t.Helper()
	nodes := natsCluster(t, 3)
	var ms []*member
	for i, n := range nodes {
		ms = append(ms, startMember(t, i+1, n.ClientURL(), 3))
	}
	return nodes, ms
}

func dial(t testing.TB, ctx context.Context, url string, typ signaling.ActorType) *signaling.Client {
	t.Helper()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, Type: typ, Realm: 7,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// until waits for cond, checking it each time tick passes, failing at
// ctx's deadline: for state another server changes (a directory entry
// arriving), which gives no event to wait on here.
func until(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("never: %s", what)
		case <-tick.C:
		}
	}
}

func waitPresence(t testing.TB, ctx context.Context, c *signaling.Client, id protocol.ActorID, up bool) {
	t.Helper()
	for {
		select {
		case ev := <-c.Presence():
			if ev.Actor == id && ev.Up == up {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no presence event %s up=%v", id, up)
		}
	}
}

func waitRelay(t testing.TB, ctx context.Context, c *signaling.Client) signaling.Relay {
	t.Helper()
	select {
	case r := <-c.Relays():
		return r
	case <-ctx.Done():
		t.Fatal("no relay arrived")
	}
	return signaling.Relay{}
}
