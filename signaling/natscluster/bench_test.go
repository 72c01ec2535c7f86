package natscluster_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster"
)

// benchLimits lifts the per-connection, per-actor and per-address limits
// that every client of a benchmark, all on 127.0.0.1, would otherwise
// share: the figures measure the cluster, not the limiters.
func benchLimits(c *signaling.ServerConfig) {
	c.RateLimit, c.RateBurst = 1e9, 1<<30
	c.AddrRateLimit, c.AddrRateBurst = 1e9, 1<<30
	c.RegisterRate, c.RegisterBurst = 1e9, 1<<30
	c.MaxConnsPerAddr = 1 << 20
	c.MaxConns = 1 << 20
}

// benchServers starts n NATS nodes routed to each other and one signaling
// server on each, replicas = n, with benchLimits. One node runs alone:
// JetStream elects no meta leader in a cluster of one.
func benchServers(b *testing.B, n int) []*member {
	b.Helper()
	var nodes []*natscluster.Embedded
	if n == 1 {
		e, err := natscluster.StartEmbedded(natscluster.EmbeddedConfig{Name: "n1", Listen: "127.0.0.1:0", StoreDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(e.Shutdown)
		nodes = append(nodes, e)
	} else {
		nodes = natsCluster(b, n)
	}
	ms := make([]*member, n)
	for i, node := range nodes {
		ms[i] = startMember(b, i+1, node.ClientURL(), n, benchLimits)
	}
	return ms
}

// benchDial registers an actor of type typ on the server at url, not
// closed at the end of the benchmark: the caller closes it.
func benchDial(ctx context.Context, url string, typ signaling.ActorType) (*signaling.Client, error) {
	return signaling.Dial(ctx, signaling.ClientConfig{URL: url, Type: typ, Realm: 7,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
}

const (
	// benchActors are the actors of BenchmarkClusterRelay, spread
	// round-robin over the servers.
	benchActors = 50
	// benchSenders are the goroutines sending relays (and registering,
	// in BenchmarkClusterRegister).
	benchSenders = 16
	// clusterWindow bounds the relays in flight in all, as relayWindow
	// does per sender in BenchmarkRelay of package signaling: with
	// targets at random, it keeps every queue on the path (a server's
	// per-connection send queue and budget, a client's Relays channel)
	// far from full, so the figure is sustained relaying, not refusals.
	clusterWindow = 128
)

// BenchmarkClusterRelay measures relays per second across a cluster of 1,
// 2 and 3 signaling servers, each on a NATS node of its own (routed,
// JetStream replicas = nodes), with benchActors actors spread round-robin
// over them. Each op is a relay (an SDP or an ICE candidate, at random)
// from a random actor to another, sent by benchSenders goroutines with at
// most clusterWindow in flight; the clock stops when every relay has
// reached its target. cross/op is the fraction of relays whose target is
// on another server than their sender (0 with one server, about 1/2 with
// two, 2/3 with three); refused/op those refused (none, with the window).
func BenchmarkClusterRelay(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			ctx := guard(b)
			ms := benchServers(b, n)
			actors := make([]*signaling.Client, benchActors)
			for i := range actors {
				actors[i] = dial(b, ctx, ms[i%n].url, typeA)
			}
			for _, m := range ms {
				until(b, ctx, "every server sees every actor", func() bool {
					for _, a := range actors {
						if !m.srv.Online(a.ID()) {
							return false
						}
					}
					return true
				})
			}
			b.Run(fmt.Sprintf("actors=%d", benchActors), func(b *testing.B) { benchRelays(b, ms, actors) })
		})
	}
}

func benchRelays(b *testing.B, ms []*member, actors []*signaling.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	n := len(ms)
	received := func() (sum int64) {
		for _, m := range ms {
			sum += int64(m.srv.Counters().ClusterRelaysReceived.Load())
		}
		return sum
	}
	received0 := received()
	credit := make(chan struct{}, clusterWindow)
	for range clusterWindow {
		credit <- struct{}{}
	}
	// One consumer per actor counts what reaches it (and what it is
	// refused), returns a credit for each and ends the run at b.N.
	var got, refused, ended atomic.Int64
	done := make(chan struct{})
	stop := make(chan struct{})
	var consumers sync.WaitGroup
	for _, a := range actors {
		consumers.Go(func() {
			for {
				select {
				case <-a.Relays():
					got.Add(1)
				case <-a.Refusals():
					refused.Add(1)
				case <-stop:
					return
				}
				credit <- struct{}{}
				if ended.Add(1) == int64(b.N) {
					close(done)
				}
			}
		})
	}
	sd := &protocol.SessionDescription{Sdp: proto.String("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n")}
	cand := &protocol.IceCandidate{Candidate: proto.String("candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host")}
	var cross atomic.Int64
	b.ResetTimer()
	var senders sync.WaitGroup
	for g := range benchSenders {
		ops := b.N / benchSenders
		if g < b.N%benchSenders {
			ops++
		}
		senders.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), uint64(b.N)))
			for range ops {
				select {
				case <-credit:
				case <-ctx.Done():
					return
				}
				from := rng.IntN(len(actors))
				to := rng.IntN(len(actors) - 1)
				if to >= from {
					to++
				}
				if from%n != to%n {
					cross.Add(1)
				}
				var err error
				if rng.IntN(2) == 0 {
					err = actors[from].SendSessionDescription(actors[to].ID(), sd)
				} else {
					err = actors[from].SendIceCandidate(actors[to].ID(), cand)
				}
				if err != nil {
					b.Error(err)
					cancel()
					return
				}
			}
		})
	}
	senders.Wait()
	select {
	case <-done:
	case <-ctx.Done():
		b.Errorf("%d of %d relays arrived, %d refused: %v", got.Load(), b.N, refused.Load(), ctx.Err())
	}
	b.StopTimer()
	close(stop)
	consumers.Wait()
	var dropped uint64
	for _, a := range actors {
		dropped += a.Dropped()
	}
	if dropped != 0 {
		b.Errorf("%d events dropped by the clients", dropped)
	}
	// Every relay between servers went through NATS (the target's server
	// counts it just after queueing it to the target, so possibly after
	// the target has it).
	until(b, ctx, "the servers count every relay from another server", func() bool {
		return received()-received0+refused.Load() >= cross.Load()
	})
	b.ReportMetric(float64(got.Load())/b.Elapsed().Seconds(), "relays/s")
	b.ReportMetric(float64(cross.Load())/float64(b.N), "cross/op")
	b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
}

// BenchmarkClusterRegister measures registrations per second across a
// cluster of 1, 2 and 3 servers (as BenchmarkClusterRelay's): each op
// dials a new actor (signaling.Dial: the socket, the registration, the
// serial and the directory entry) on the servers in turn, from
// benchSenders goroutines. The actors stay connected until the clock
// stops; then they unregister and close.
func BenchmarkClusterRegister(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			ms := benchServers(b, n)
			b.Run("register", func(b *testing.B) { benchRegister(b, ms) })
		})
	}
}

func benchRegister(b *testing.B, ms []*member) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	clients := make([]*signaling.Client, b.N)
	var next atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range benchSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				c, err := benchDial(ctx, ms[i%len(ms)].url, typeB)
				if err != nil {
					b.Error(err)
					return
				}
				clients[i] = c
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "registrations/s")
	closeAll(b, ctx, clients)
}

// closeAll unregisters and closes every client (nil ones skipped), in
// parallel, so that the directory is empty again for the next run.
func closeAll(b *testing.B, ctx context.Context, clients []*signaling.Client) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchSenders {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(clients) {
					return
				}
				if c := clients[i]; c != nil {
					if err := c.Unregister(ctx); err != nil {
						b.Error(err)
					}
					_ = c.Close()
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkPresenceLatency measures how long an actor's arrival takes to
// reach a subscriber on another server: three servers; a client on
// server 1 subscribed to typeB; each op registers an actor of typeB on
// server 3 and times from the start of its Dial to the up event at the
// subscriber (p50-ms, p99-ms). Between ops, untimed, the actor
// unregisters and its down event is awaited.
func BenchmarkPresenceLatency(b *testing.B) {
	ctx := guard(b)
	ms := benchServers(b, 3)
	sub := dial(b, ctx, ms[0].url, typeA)
	if err := sub.Subscribe(ctx, typeB); err != nil {
		b.Fatal(err)
	}
	b.Run("servers=3", func(b *testing.B) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		// A missing event fails within presenceWait, saying what the
		// servers counted, rather than at the end of ctx.
		const presenceWait = 10 * time.Second
		missing := func(id protocol.ActorID, up bool) {
			c3 := ms[2].cl.Counters()
			b.Fatalf("no presence event %s up=%v on server 1 within %v (server 1 sees it online: %v; server 3 announcements dropped %d, failed %d)",
				id, up, presenceWait, ms[0].srv.Online(id), c3.AnnounceDropped.Load(), c3.AnnounceFailed.Load())
		}
		op := func() {
			start := time.Now()
			c, err := benchDial(ctx, ms[2].url, typeB)
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			id := c.ID()
			if !awaitPresence(ctx, sub, id, true, presenceWait) {
				missing(id, true)
			}
			lat = append(lat, time.Since(start))
			b.StopTimer()
			if err := c.Unregister(ctx); err != nil {
				b.Fatal(err)
			}
			if !awaitPresence(ctx, sub, id, false, presenceWait) {
				missing(id, false)
			}
			b.StartTimer()
		}
		for range b.N {
			op()
		}
		b.StopTimer()
		slices.Sort(lat)
		msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(msOf(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(msOf(lat[(len(lat)*99+99)/100-1]), "p99-ms")
	})
}

// awaitPresence reports whether c's presence event of id going up (or
// down) arrives within timeout, skipping others.
func awaitPresence(ctx context.Context, c *signaling.Client, id protocol.ActorID, up bool, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		select {
		case ev := <-c.Presence():
			if ev.Actor == id && ev.Up == up {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// failoverActors are the actors of each op of BenchmarkFailover.
const failoverActors = 20

// victims numbers the servers BenchmarkFailover kills (key ids from 100).
var victims atomic.Int64

// BenchmarkFailover measures how long the actors of a killed signaling
// server take to resume on another: each op starts a server on NATS node
// 1 of a three-node cluster (servers 2 and 3 stay), registers
// failoverActors actors there, each given every server's URL, and kills
// it as a crash would; the time from the kill until each actor is
// connected again, with its ActorID, is one sample. Reported: p50 and
// p99 over every actor of every op. Each actor backs off 10 ms (±20 %)
// before its first attempt, as the benchmark's clients are configured
// (the default is 100 ms).
func BenchmarkFailover(b *testing.B) {
	ctx := guard(b)
	ms := benchServers(b, 3)
	nodeURL := ms[0].natsURL
	b.Run("servers=3", func(b *testing.B) {
		var lat []time.Duration
		for range b.N {
			b.StopTimer()
			// Every server a key id of its own, across the runs of b.Run.
			victim := startMember(b, 99+int(victims.Add(1)), nodeURL, 3, benchLimits)
			urls := []string{victim.url, ms[1].url, ms[2].url}
			var clients []*signaling.Client
			for range failoverActors {
				c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: urls[0], URLs: urls[1:], Type: typeA, Realm: 7,
					ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
				if err != nil {
					b.Fatal(err)
				}
				clients = append(clients, c)
			}
			ids := make([]protocol.ActorID, len(clients))
			for k, c := range clients {
				ids[k] = c.ID()
			}
			b.StartTimer()
			killed := time.Now()
			_ = victim.cl.CloseNow()
			_ = victim.ln.Close()
			_ = victim.srv.Close()
			done := make([]bool, len(clients))
			for left := len(clients); left > 0; {
				for k, c := range clients {
					if !done[k] && c.Connected() && !strings.HasPrefix(c.Server(), strings.TrimSuffix(victim.url, "/")) {
						if c.ID() != ids[k] {
							b.Fatalf("actor %s resumed as %s", ids[k], c.ID())
						}
						done[k] = true
						left--
						lat = append(lat, time.Since(killed))
					}
				}
				if ctx.Err() != nil {
					b.Fatal("actors never resumed")
				}
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			closeAll(b, ctx, clients)
			b.StartTimer()
		}
		b.StopTimer()
		slices.Sort(lat)
		msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
		b.ReportMetric(msOf(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(msOf(lat[(len(lat)*99+99)/100-1]), "p99-ms")
	})
}
