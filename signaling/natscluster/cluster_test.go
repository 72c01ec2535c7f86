package natscluster_test

import (
	"context"
	"errors"
	"testing"

	cws "github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/natscluster/natsclustertest"
)

// TestThreeServers runs the cluster (three NATS nodes, three
// signaling servers) and checks, against one cluster, that actors on
// different servers see and reach each other.
func TestThreeServers(t *testing.T) {
	ctx := guard(t)
	_, ms := threeServers(t)
	c1 := dial(t, ctx, ms[0].url, typeA)
	c3 := dial(t, ctx, ms[2].url, typeB)
	for _, m := range ms {
		until(t, ctx, "every server sees both actors", func() bool { return m.srv.Online(c1.ID()) && m.srv.Online(c3.ID()) })
	}

	t.Run("Discovery", func(t *testing.T) {
		types, err := c1.Discover(ctx, "acme", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(types) != 2 || types[0] != typeA || types[1] != typeB {
			t.Fatalf("discover on server 1 = %v, want [%v %v]", types, typeA, typeB)
		}
		ids, err := c1.RouteCandidates(ctx, typeB, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || ids[0] != c3.ID() {
			t.Fatalf("route candidates of %v on server 1 = %v, want [%s] (on server 3)", typeB, ids, c3.ID())
		}
	})

	t.Run("Relay", func(t *testing.T) {
		sent := ms[0].srv.Counters().ClusterRelaysSent.Load()
		sd := &protocol.SessionDescription{Sdp: proto.String("v=0 offer")}
		if err := c1.SendSessionDescription(c3.ID(), sd); err != nil {
			t.Fatal(err)
		}
		r := waitRelay(t, ctx, c3)
		if r.From != c1.ID() || r.Msg.GetSessionDescription().GetSdp() != "v=0 offer" {
			t.Fatalf("server 3 delivered %v from %s, want the offer from %s", r.Msg, r.From, c1.ID())
		}
		if err := c3.SendSessionDescription(c1.ID(), &protocol.SessionDescription{Sdp: proto.String("v=0 answer")}); err != nil {
			t.Fatal(err)
		}
		if r := waitRelay(t, ctx, c1); r.From != c3.ID() || r.Msg.GetSessionDescription().GetSdp() != "v=0 answer" {
			t.Fatalf("server 1 delivered %v from %s, want the answer from %s", r.Msg, r.From, c3.ID())
		}
		if got := ms[0].srv.Counters().ClusterRelaysSent.Load(); got != sent+1 {
			t.Fatalf("server 1 counted %d cross-server relays sent, want %d", got, sent+1)
		}
		if got := ms[2].srv.Counters().ClusterRelaysReceived.Load(); got == 0 {
			t.Fatal("server 3 counted no cross-server relay received")
		}
	})

	t.Run("RelayToNobody", func(t *testing.T) {
		ghost := protocol.ActorID{Realm: 7, Serial: 1, Manufacturer: "acme", Name: "ghost", Version: "1"}
		if err := c1.SendIceCandidate(ghost, &protocol.IceCandidate{Candidate: proto.String("candidate:1")}); err != nil {
			t.Fatal(err)
		}
		select {
		case ref := <-c1.Refusals():
			var er *signaling.ErrorResponseError
			if ref.Target != ghost || !errors.As(ref.Err, &er) || er.Code != signaling.CodeNotFound {
				t.Fatalf("refusal %v for %s, want 404 for %s", ref.Err, ref.Target, ghost)
			}
		case <-ctx.Done():
			t.Fatal("no refusal of a relay to an actor on no server")
		}
	})

	t.Run("RoleNegotiation", func(t *testing.T) {
		offerer, err := c1.NegotiateRole(ctx, c3.ID())
		if err != nil {
			t.Fatal(err)
		}
		r := waitRelay(t, ctx, c3)
		ra := r.Msg.GetRoleAssignment()
		if ra == nil || r.From != c1.ID() {
			t.Fatalf("server 3 delivered %v from %s, want a role assignment from %s", r.Msg, r.From, c1.ID())
		}
		if ra.GetIsOfferer() == offerer {
			t.Fatalf("both sides were told offerer=%v", offerer)
		}
		// The same rule as on one server: the larger serial offers.
		if want := c1.ID().Serial > c3.ID().Serial; offerer != want {
			t.Fatalf("server 1 told %s offerer=%v, want %v (serials %d, %d)", c1.ID(), offerer, want, c1.ID().Serial, c3.ID().Serial)
		}
	})

	t.Run("Dedup", func(t *testing.T) {
		drops := ms[2].srv.Counters().ClusterDedupDrops.Load()
		relay := func(id, sdp string) {
			t.Helper()
			ans, err := ms[0].cl.Relay(ctx, ms[2].cl.Name(), signaling.ClusterRelay{ID: id, Source: c1.ID(), Target: c3.ID(),
				Relay: &protocol.ActrRelay{Source: c1.ID().Proto(), Target: c3.ID().Proto(),
					Payload: &protocol.ActrRelay_SessionDescription{SessionDescription: &protocol.SessionDescription{Sdp: proto.String(sdp)}}}})
			if err != nil || ans != nil {
				t.Fatalf("relay %s: answer %v, err %v", id, ans, err)
			}
		}
		relay("retried", "first")
		relay("retried", "first") // a retry of the same relay
		relay("next", "second")
		for _, want := range []string{"first", "second"} {
			if got := waitRelay(t, ctx, c3).Msg.GetSessionDescription().GetSdp(); got != want {
				t.Fatalf("server 3 delivered %q, want %q (a retried relay delivered twice?)", got, want)
			}
		}
		if got := ms[2].srv.Counters().ClusterDedupDrops.Load(); got != drops+1 {
			t.Fatalf("server 3 counted %d dedup drops, want %d", got, drops+1)
		}
	})

	t.Run("Presence", func(t *testing.T) {
		if err := c1.Subscribe(ctx, typeB); err != nil {
			t.Fatal(err)
		}
		b2 := dial(t, ctx, ms[1].url, typeB)
		id := b2.ID()
		waitPresence(t, ctx, c1, id, true)
		if err := b2.Unregister(ctx); err != nil {
			t.Fatal(err)
		}
		waitPresence(t, ctx, c1, id, false)
	})

	t.Run("Credentials", func(t *testing.T) {
		for i, m := range ms {
			if _, err := m.ver.VerifyFor(c1.Credential(), c1.ID()); err != nil {
				t.Fatalf("server %d refuses server 1's credential: %v", i+1, err)
			}
			keys, err := signaling.FetchKeys(ctx, m.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 3 {
				t.Fatalf("server %d serves keys %v, want the three servers'", i+1, keys)
			}
		}
	})

	t.Run("ResumeElsewhere", func(t *testing.T) {
		a := dial(t, ctx, ms[0].url, typeA)
		cred, proof, err := a.Prove(natsclustertest.Audience)
		if err != nil {
			t.Fatal(err)
		}
		ws, _, err := cws.Dial(ctx, ms[1].url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = ws.CloseNow() }()
		env := &protocol.SignalingEnvelope{EnvelopeId: proto.String("resume-1"),
			Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: &protocol.ActrToSignaling{
				Source: a.ID().Proto(), Credential: cred, Proof: proof, Payload: &protocol.ActrToSignaling_Ping{Ping: &protocol.Ping{}}}}}
		b, _ := proto.Marshal(env)
		if err := ws.Write(ctx, cws.MessageBinary, b); err != nil {
			t.Fatal(err)
		}
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got protocol.SignalingEnvelope
			if err := proto.Unmarshal(data, &got); err != nil {
				t.Fatal(err)
			}
			if got.GetReplyFor() != "resume-1" {
				continue
			}
			if got.GetServerToActr().GetPong() == nil {
				t.Fatalf("server 2 answered the resume of server 1's actor with %v, want a pong", &got)
			}
			break
		}
		if n := ms[1].srv.Counters().Resumes.Load(); n == 0 {
			t.Fatal("server 2 counted no resume")
		}
	})

	t.Run("Serials", func(t *testing.T) {
		seen := map[uint64]int{}
		for i := range 12 {
			c := dial(t, ctx, ms[i%3].url, typeA)
			if prev, dup := seen[c.ID().Serial]; dup {
				t.Fatalf("serial %d given twice: by server %d and %d", c.ID().Serial, prev+1, i%3+1)
			}
			seen[c.ID().Serial] = i % 3
			_ = c.Close()
		}
	})

	t.Run("Servers", func(t *testing.T) {
		until(t, ctx, "server 1 hears all three", func() bool { return ms[0].cl.Servers() == 3 })
	})
}

// TestCutFromNATS stops the NATS node one signaling server uses: that
// server refuses new actors, counted; the others, on the two NATS nodes
// left, still register them.
func TestCutFromNATS(t *testing.T) {
	ctx := guard(t)
	nodes, ms := threeServers(t)
	nodes[2].Shutdown()
	until(t, ctx, "server 3 knows it is cut off", func() bool { return !ms[2].cl.Healthy() })
	dctx, cancel := context.WithTimeout(ctx, 5e9)
	_, err := signaling.Dial(dctx, signaling.ClientConfig{URL: ms[2].url, Type: typeA, Realm: 7})
	cancel()
	if err == nil {
		t.Fatal("server 3, cut from NATS, registered an actor")
	}
	if n := ms[2].srv.Counters().ClusterRefused.Load(); n == 0 {
		t.Fatalf("server 3 counted no registration refused for the cluster (dial: %v)", err)
	}
	// JetStream elects new leaders for what node 3 led: retry until then.
	var c *signaling.Client
	until(t, ctx, "server 1 registers once NATS has healed", func() bool {
		dctx, cancel := context.WithTimeout(ctx, 5e9)
		defer cancel()
		c, err = signaling.Dial(dctx, signaling.ClientConfig{URL: ms[0].url, Type: typeA, Realm: 7})
		return err == nil
	})
	defer func() { _ = c.Close() }()
	until(t, ctx, "server 2 sees server 1's new actor", func() bool { return ms[1].srv.Online(c.ID()) })
}
