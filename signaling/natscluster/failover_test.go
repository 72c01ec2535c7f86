package natscluster_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster/natsclustertest"
)

func dialAll(t testing.TB, ctx context.Context, urls []string, typ signaling.ActorType) *signaling.Client {
	t.Helper()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: urls[0], URLs: urls[1:], Type: typ, Realm: 7,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestServerKilledMidStream kills a signaling server while an actor on
// another server relays to one of its actors, a numbered stream. The
// killed server's actor, given every server, resumes on another with its
// ActorID; relays from then on arrive, and none arrives twice; each relay
// that did not arrive was refused to its sender, or was in the dead
// server's hands (counted, not asserted: a crash loses what a server had
// accepted). An actor that knew only the dead server is dropped from the
// directory, with a down event, once the survivors stop hearing its
// server. The sender's own connection never drops.
func TestServerKilledMidStream(t *testing.T) {
	ctx := guard(t)
	cl := natsclustertest.Start(t, 3, signaling.ServerConfig{})
	s1, s2 := cl.Servers[0], cl.Servers[1]
	mover := dialAll(t, ctx, cl.URLs(0), typeA) // on server 1, then elsewhere
	stuck := dial(t, ctx, s1.URL, typeA)        // on server 1 only
	sender := dialAll(t, ctx, cl.URLs(1), typeB)
	watcher := dialAll(t, ctx, cl.URLs(2), typeB)
	if err := watcher.Subscribe(ctx, typeA); err != nil {
		t.Fatal(err)
	}
	id := mover.ID()
	for _, s := range cl.Servers {
		until(t, ctx, "every server sees every actor", func() bool {
			return s.Srv.Online(id) && s.Srv.Online(stuck.ID()) && s.Srv.Online(sender.ID())
		})
	}

	// The receiver counts each numbered relay.
	var mu sync.Mutex
	got := map[int]int{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			case r := <-mover.Relays():
				n, err := strconv.Atoi(strings.TrimPrefix(r.Msg.GetSessionDescription().GetSdp(), "n="))
				if err != nil || r.From != sender.ID() {
					continue
				}
				mu.Lock()
				got[n]++
				mu.Unlock()
			}
		}
	})
	refused := 0
	send := func(n int) {
		t.Helper()
		if err := sender.SendSessionDescription(id, &protocol.SessionDescription{Sdp: proto.String(fmt.Sprintf("n=%d", n))}); err != nil {
			t.Fatalf("relay %d: %v (the sender's connection must not drop)", n, err)
		}
	}
	drainRefusals := func() {
		for {
			select {
			case <-sender.Refusals():
				refused++
			default:
				return
			}
		}
	}
	received := func(n int) bool {
		mu.Lock()
		defer mu.Unlock()
		return got[n] > 0
	}

	resumesBefore := s2.Srv.Counters().Resumes.Load() + cl.Servers[2].Srv.Counters().Resumes.Load()
	n := 0
	for ; n < 50; n++ {
		send(n)
	}
	until(t, ctx, "the first relays arrive", func() bool { return received(n - 1) })

	killed := time.Now()
	s1.Kill()
	// Keep the stream going until the mover is back, on another server.
	for !(mover.Connected() && mover.Server() != "" && !strings.HasPrefix(mover.Server(), strings.TrimSuffix(s1.URL, "/"))) {
		send(n)
		n++
		drainRefusals()
		select {
		case <-ctx.Done():
			t.Fatal("the mover never resumed on another server")
		case <-time.After(2 * time.Millisecond):
		}
	}
	failover := time.Since(killed)
	if mover.ID() != id {
		t.Fatalf("the mover resumed as %s, not %s", mover.ID(), id)
	}
	until(t, ctx, "the sender's server finds the mover where it resumed", func() bool {
		a, remote := s2.Backplane.Lookup(id)
		return (!remote && s2.Srv.Online(id)) || (remote && a.Server == "sig3")
	})
	// From now on, every relay arrives.
	from := n
	for ; n < from+50; n++ {
		send(n)
	}
	until(t, ctx, "the relays after the failover arrive", func() bool {
		for k := from; k < n; k++ {
			if !received(k) {
				return false
			}
		}
		return true
	})
	close(stop)
	wg.Wait()
	drainRefusals()
	lost := 0
	for k := range n {
		switch got[k] {
		case 0:
			lost++
		case 1:
		default:
			t.Errorf("relay %d delivered %d times", k, got[k])
		}
	}
	t.Logf("failover: the mover resumed on another server %v after the kill; %d relays sent, %d refused to the sender, %d not delivered",
		failover.Round(time.Millisecond), n, refused, lost)
	if refused > lost {
		t.Errorf("%d refusals for %d relays not delivered: a refusal of a relay that was delivered", refused, lost)
	}

	// The actor that knew only the dead server leaves the directory.
	waitPresence(t, ctx, watcher, stuck.ID(), false)
	until(t, ctx, "the survivors drop the dead server's actor", func() bool {
		return !s2.Srv.Online(stuck.ID()) && !cl.Servers[2].Srv.Online(stuck.ID())
	})
	if r := s2.Backplane.Counters().Reaped.Load() + cl.Servers[2].Backplane.Counters().Reaped.Load(); r == 0 {
		t.Error("no survivor counted a reaped directory entry")
	}
	// Only the mover resumed anywhere: the others noticed nothing.
	resumes := s2.Srv.Counters().Resumes.Load() + cl.Servers[2].Srv.Counters().Resumes.Load() - resumesBefore
	failovers := s2.Srv.Counters().ClusterFailovers.Load() + cl.Servers[2].Srv.Counters().ClusterFailovers.Load()
	if resumes != 1 || failovers != 1 {
		t.Errorf("%d resumes and %d failovers on the survivors, want 1 of each (the mover's)", resumes, failovers)
	}
}

// TestRenewAfterFailover: an actor that failed over holds a renewal
// token of the dead server's; its new server renews it anyway, on the
// socket where it proved its holder key, and it keeps its ActorID.
func TestRenewAfterFailover(t *testing.T) {
	ctx := guard(t)
	cl := natsclustertest.Start(t, 2, signaling.ServerConfig{})
	c := dialAll(t, ctx, cl.URLs(0), typeA)
	id, exp := c.ID(), c.CredentialExpiry()
	until(t, ctx, "server 2 sees the actor", func() bool { return cl.Servers[1].Srv.Online(id) })
	cl.Servers[0].Kill()
	until(t, ctx, "the actor resumes on server 2", func() bool {
		return c.Connected() && cl.Servers[1].Srv.Counters().ClusterFailovers.Load() == 1
	})
	if err := c.RenewCredential(ctx); err != nil {
		t.Fatalf("renewal on the server failed over to: %v", err)
	}
	if c.ID() != id {
		t.Fatalf("renewed as %s, not %s", c.ID(), id)
	}
	if n := cl.Servers[1].Srv.Counters().ClusterRenewals.Load(); n != 1 {
		t.Fatalf("server 2 counted %d renewals of a failed-over actor, want 1", n)
	}
	if c.CredentialExpiry().Before(exp) {
		t.Fatalf("the renewed credential expires %v, before the first (%v)", c.CredentialExpiry(), exp)
	}
	// The renewed credential and token are server 2's own now.
	if err := c.RenewCredential(ctx); err != nil {
		t.Fatal(err)
	}
	if n := cl.Servers[1].Srv.Counters().ClusterRenewals.Load(); n != 1 {
		t.Fatalf("the second renewal went the failover way too (%d)", n)
	}
}

// TestDialPassesOverCutServer: a server cut from NATS refuses new actors
// (503); a client given it first registers with the next.
func TestDialPassesOverCutServer(t *testing.T) {
	ctx := guard(t)
	cl := natsclustertest.Start(t, 3, signaling.ServerConfig{})
	cl.NATS[2].Shutdown()
	cut := cl.Servers[2]
	until(t, ctx, "server 3 knows it is cut off", func() bool { return !cut.Backplane.Healthy() })
	c := dialAll(t, ctx, cl.URLs(2), typeA)
	if cut.Srv.Counters().ClusterRefused.Load() == 0 {
		t.Fatal("server 3 refused nothing: the client did not try it first")
	}
	if c.Server() == "" || strings.HasPrefix(c.Server(), strings.TrimSuffix(cut.URL, "/")) {
		t.Fatalf("registered on %q, the cut server", c.Server())
	}
}
