package turnserver_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/turnserver"
)

// A credential minted with the secret allocates a relay, and the relay
// carries datagrams both ways (counted).
func TestIssuedCredentialRelays(t *testing.T) {
	s := startServer(t, turnserver.Config{})
	user, pass := credFor(actor(1, 7), time.Now().Add(time.Hour))
	relay, err := allocate(t, s, user, pass)
	if err != nil {
		t.Fatalf("allocation with an issued credential: %v", err)
	}
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	if _, err := relay.WriteTo([]byte("to peer"), peer.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	_ = peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, from, err := peer.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "to peer" {
		t.Fatalf("peer got %q, %v", buf[:n], err)
	}
	if _, err := peer.WriteTo([]byte("to client"), from); err != nil {
		t.Fatal(err)
	}
	_ = relay.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err = relay.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "to client" {
		t.Fatalf("client got %q, %v", buf[:n], err)
	}
	c := s.Counters()
	if c.AllocationsCreated.Load() != 1 || c.RelayedToPeers.Load() != 7 || c.RelayedFromPeers.Load() != 9 || s.Allocations() != 1 {
		t.Fatalf("counters: created %d, to peers %d, from peers %d, live %d", c.AllocationsCreated.Load(), c.RelayedToPeers.Load(), c.RelayedFromPeers.Load(), s.Allocations())
	}
}

// refusalCase is a credential the server must refuse, and the counter
// that must count it.
func TestRefusals(t *testing.T) {
	id := actor(2, 9)
	live := time.Now().Add(time.Hour)
	for _, tc := range []struct {
		name    string
		cfg     turnserver.Config
		user    string
		pass    string
		counter func(*turnserver.Counters) uint64
		reason  string
	}{
		{
			name: "expired", user: auth.TURNUsername(id, time.Now().Add(-time.Minute)),
			counter: func(c *turnserver.Counters) uint64 { return c.RefusedExpired.Load() }, reason: "expired",
		},
		{
			name: "forged", user: auth.TURNUsername(id, live), pass: auth.TURNPassword([]byte("not-the-servers-secret!"), auth.TURNUsername(id, live)),
			counter: func(c *turnserver.Counters) uint64 { return c.RefusedForged.Load() }, reason: "forged",
		},
		{
			// The user name's expiry pushed out, the password kept: the
			// HMAC no longer matches.
			name: "extended", user: auth.TURNUsername(id, live.Add(24*time.Hour)), pass: auth.TURNPassword(testSecret, auth.TURNUsername(id, live)),
			counter: func(c *turnserver.Counters) uint64 { return c.RefusedForged.Load() }, reason: "forged",
		},
		{
			name: "other realm", cfg: turnserver.Config{Realms: []uint32{1}}, user: auth.TURNUsername(id, live),
			counter: func(c *turnserver.Counters) uint64 { return c.RefusedRealm.Load() }, reason: "realm",
		},
		{
			name: "not TURN REST", user: "alice", pass: "secret",
			counter: func(c *turnserver.Counters) uint64 { return c.RefusedMalformed.Load() }, reason: "malformed",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, tc.cfg)
			pass := tc.pass
			if pass == "" {
				pass = auth.TURNPassword(testSecret, tc.user)
			}
			if _, err := allocate(t, s, tc.user, pass); err == nil {
				t.Fatal("allocated with a credential the server must refuse")
			}
			if got := tc.counter(s.Counters()); got == 0 {
				t.Fatalf("refusal not counted")
			}
			if s.Counters().AllocationsCreated.Load() != 0 || s.Allocations() != 0 {
				t.Fatal("an allocation was made")
			}
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(turnserver.NewCollector(s))
			if n := metricValue(t, reg, "actr_turn_refusals_total", tc.reason); n == 0 {
				t.Fatalf("actr_turn_refusals_total{reason=%q} is 0", tc.reason)
			}
		})
	}
}

// An actor's allocations beyond MaxAllocationsPerActor are refused (486)
// and counted; another actor still allocates, and a place freed is taken.
func TestAllocationQuota(t *testing.T) {
	s := startServer(t, turnserver.Config{MaxAllocationsPerActor: 2})
	user, pass := credFor(actor(1, 1), time.Now().Add(time.Hour))
	var relays []net.PacketConn
	for i := range 2 {
		r, err := allocate(t, s, user, pass)
		if err != nil {
			t.Fatalf("allocation %d within the quota: %v", i+1, err)
		}
		relays = append(relays, r)
	}
	_, err := allocate(t, s, user, pass)
	if err == nil || !strings.Contains(err.Error(), "486") {
		t.Fatalf("third allocation: %v, want 486 Allocation Quota Reached", err)
	}
	if s.Counters().RefusedQuota.Load() == 0 {
		t.Fatal("quota refusal not counted")
	}
	other, opass := credFor(actor(1, 2), time.Now().Add(time.Hour))
	if _, err := allocate(t, s, other, opass); err != nil {
		t.Fatalf("another actor: %v", err)
	}
	_ = relays[0].Close() // the client deallocates
	waitFor(t, func() bool { return s.Allocations() == 2 })
	if _, err := allocate(t, s, user, pass); err != nil {
		t.Fatalf("after a place freed up: %v", err)
	}
}

// waitFor polls cond, for state the server changes on its own goroutines
// with no event to wait on (pion's allocation teardown).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func metricValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// Datagrams over an allocation's bandwidth are dropped and counted, not
// queued.
func TestAllocationBandwidth(t *testing.T) {
	s := startServer(t, turnserver.Config{AllocationBandwidth: 1000})
	user, pass := credFor(actor(1, 3), time.Now().Add(time.Hour))
	relay, err := allocate(t, s, user, pass)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	msg := make([]byte, 400)
	for range 10 { // 4000 B at once: the 1000 B burst passes, the rest is dropped
		if _, err := relay.WriteTo(msg, peer.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return s.Counters().DroppedDatagrams.Load() > 0 })
	if got := s.Counters().RelayedToPeers.Load(); got > 1000 {
		t.Fatalf("relayed %d bytes at once past a 1000 B/s cap", got)
	}
}
