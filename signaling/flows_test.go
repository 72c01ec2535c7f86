package signaling_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

func TestFlowsBetweenTwoClients(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	if err := a.Subscribe(ctx, typeB); err != nil {
		t.Fatal(err)
	}
	b := dial(t, ctx, ts.url, typeB, 1)
	if a.ID() == b.ID() || a.ID().Realm != 1 || signaling.TypeOf(b.ID()) != typeB {
		t.Fatalf("ids %s %s", a.ID(), b.ID())
	}
	waitPresence(t, ctx, a, b.ID(), true)

	types, err := a.Discover(ctx, "", 0)
	if err != nil || !slices.Equal(types, []signaling.ActorType{typeA, typeB}) {
		t.Fatalf("Discover = %v, %v", types, err)
	}
	if types, _ := a.Discover(ctx, "other", 0); len(types) != 0 {
		t.Fatalf("Discover(other) = %v", types)
	}
	if types, _ := a.Discover(ctx, "", 1); len(types) != 1 {
		t.Fatalf("Discover limit 1 = %v", types)
	}
	cands, err := a.RouteCandidates(ctx, typeB, 0)
	if err != nil || len(cands) != 1 || cands[0] != b.ID() {
		t.Fatalf("RouteCandidates = %v, %v", cands, err)
	}

	old := a.CredentialExpiry()
	if err := a.RenewCredential(ctx); err != nil {
		t.Fatal(err)
	}
	if a.CredentialExpiry().Before(old) {
		t.Fatalf("renewed credential expires %v, before the old one (%v)", a.CredentialExpiry(), old)
	}
	if err := a.Ping(ctx); err != nil {
		t.Fatalf("ping after renewal: %v", err)
	}

	// Relay, both ways.
	if err := a.SendIceCandidate(b.ID(), &protocol.IceCandidate{Candidate: proto.String("candidate:a")}); err != nil {
		t.Fatal(err)
	}
	if r := waitRelay(t, ctx, b); r.From != a.ID() || r.Msg.GetIceCandidate().GetCandidate() != "candidate:a" {
		t.Fatalf("relay %+v", r)
	}
	sdp := &protocol.SessionDescription{Type: protocol.SessionDescription_OFFER.Enum(), Sdp: proto.String("v=0")}
	if err := b.SendSessionDescription(a.ID(), sdp); err != nil {
		t.Fatal(err)
	}
	if r := waitRelay(t, ctx, a); r.From != b.ID() || r.Msg.GetSessionDescription().GetSdp() != "v=0" {
		t.Fatalf("relay %+v", r)
	}
	// actr's ice_restart_request (ActrRelay.14) is relayed like the rest.
	if err := b.SendIceRestartRequest(a.ID(), "disconnected"); err != nil {
		t.Fatal(err)
	}
	if r := waitRelay(t, ctx, a); r.From != b.ID() || r.Msg.GetIceRestartRequest().GetReason() != "disconnected" {
		t.Fatalf("relay %+v", r)
	}

	// Role negotiation: one offerer, and the other side is told too.
	offers, err := a.NegotiateRole(ctx, b.ID())
	if err != nil {
		t.Fatal(err)
	}
	r := waitRelay(t, ctx, b)
	if r.From != a.ID() || r.Msg.GetRoleAssignment() == nil || r.Msg.GetRoleAssignment().GetIsOfferer() == offers {
		t.Fatalf("B's assignment %+v, A offers=%v", r.Msg, offers)
	}

	// Down: B unregisters; A hears of it.
	bid := b.ID()
	if err := b.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	waitPresence(t, ctx, a, bid, false)
}

func TestUnregisterAndOfflineRelay(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	if err := a.Subscribe(ctx, typeB); err != nil {
		t.Fatal(err)
	}
	b := dial(t, ctx, ts.url, typeB, 1)
	bid := b.ID()
	waitPresence(t, ctx, a, bid, true)
	if err := b.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	waitPresence(t, ctx, a, bid, false)
	if err := a.SendIceCandidate(bid, &protocol.IceCandidate{Candidate: proto.String("x")}); err != nil {
		t.Fatal(err)
	}
	select {
	case ref := <-a.Refusals():
		if ref.Target != bid || ref.Err.Code != signaling.CodeNotFound {
			t.Fatalf("refusal %+v", ref)
		}
	case <-ctx.Done():
		t.Fatal("a relay to an offline actor was not refused")
	}
	if _, err := b.Discover(ctx, "", 0); !errors.Is(err, signaling.ErrNotRegistered) {
		t.Fatalf("call after unregister: %v", err)
	}
}

func TestHeartbeatTimeoutWithdrawsPresence(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{HeartbeatInterval: time.Hour, PresenceTimeout: 100 * time.Millisecond}, "")
	watcher := dial(t, ctx, ts.url, typeA, 1)
	if err := watcher.Subscribe(ctx, typeB); err != nil {
		t.Fatal(err)
	}
	// The watcher pings on its own schedule (hourly here); keep it present.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(stop); wg.Wait() }()
	wg.Go(func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				_ = watcher.Ping(ctx)
			}
		}
	})
	silent := dial(t, ctx, ts.url, typeB, 1) // pings hourly: misses the 100 ms timeout
	waitPresence(t, ctx, watcher, silent.ID(), true)
	waitPresence(t, ctx, watcher, silent.ID(), false)
	if ts.srv.Counters().Expirations.Load() == 0 {
		t.Fatal("no expiration counted")
	}
}

func TestRegistrationPolicies(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{Realms: map[uint32]signaling.RegistrationPolicy{
		1: {Open: true},
		2: {Secret: "s3cret"},
	}}, "")
	dial(t, ctx, ts.url, typeA, 1)
	for _, tc := range []struct {
		realm  uint32
		secret string
		ok     bool
	}{{2, "s3cret", true}, {2, "wrong", false}, {2, "", false}, {3, "", false}} {
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, Type: typeA, Realm: tc.realm, RealmSecret: tc.secret})
		if tc.ok != (err == nil) {
			t.Fatalf("realm %d secret %q: %v", tc.realm, tc.secret, err)
		}
		var er *signaling.ErrorResponseError
		if err != nil && (!errors.As(err, &er) || er.Code != signaling.CodeForbidden) {
			t.Fatalf("refusal %v, want 403", err)
		}
		if c != nil {
			_ = c.Close()
		}
	}
}

// Fifty clients at once: every registration is announced to a watcher,
// discovery and route candidates see them all, and every unregistration
// is announced too.
func TestFiftyClients(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	watcher := dial(t, ctx, ts.url, typeA, 1)
	if err := watcher.Subscribe(ctx, typeB); err != nil {
		t.Fatal(err)
	}
	const n = 50
	clients := make([]*signaling.Client, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, Type: typeB, Realm: 1,
				Heartbeat: func() (protocol.ServiceAvailabilityState, float32) {
					return protocol.ServiceAvailabilityState_FULL, float32(n - i) // the last has the smallest backlog
				}})
			if err != nil {
				t.Error(err)
				return
			}
			clients[i] = c
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	defer func() {
		for _, c := range clients {
			_ = c.Close()
		}
	}()
	ups := map[protocol.ActorID]bool{}
	for len(ups) < n {
		select {
		case ev := <-watcher.Presence():
			if ev.Up {
				ups[ev.Actor] = true
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d up events", len(ups), n)
		}
	}
	for _, c := range clients {
		wg.Go(func() {
			if err := c.Ping(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	cands, err := watcher.RouteCandidates(ctx, typeB, 5)
	if err != nil || len(cands) != 5 {
		t.Fatalf("RouteCandidates = %d, %v", len(cands), err)
	}
	for i, id := range cands {
		if want := clients[n-1-i].ID(); id != want {
			t.Fatalf("candidate %d is %s, want %s (lowest backlog first)", i, id, want)
		}
	}
	for _, c := range clients {
		wg.Go(func() {
			if err := c.Unregister(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	downs := 0
	for downs < n {
		select {
		case ev := <-watcher.Presence():
			if !ev.Up {
				downs++
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d down events", downs, n)
		}
	}
}

// Both sides of 100 pairs negotiate at the same moment: each pair ends
// with exactly one offerer, and each side's two answers agree.
func TestRoleNegotiationOneOffererPerPair(t *testing.T) {
	ctx := guard(t)
	// 200 clients from one address at once: above the per-address defaults.
	ts := newServer(t, signaling.ServerConfig{Limits: signaling.Limits{MaxConnsPerAddr: 512, RegisterBurst: 512}}, "")
	const pairs = 100
	type result struct{ a, b bool }
	results := make([]result, pairs)
	var wg sync.WaitGroup
	for p := range pairs {
		wg.Go(func() {
			a := dial(t, ctx, ts.url, typeA, 1)
			b := dial(t, ctx, ts.url, typeB, 1)
			var inner sync.WaitGroup
			var ea, eb error
			inner.Go(func() { results[p].a, ea = a.NegotiateRole(ctx, b.ID()) })
			inner.Go(func() { results[p].b, eb = b.NegotiateRole(ctx, a.ID()) })
			inner.Wait()
			if ea != nil || eb != nil {
				t.Errorf("pair %d: %v %v", p, ea, eb)
				return
			}
			// The assignment each received because of the other's request agrees.
			if r := waitRelay(t, ctx, a); r.Msg.GetRoleAssignment().GetIsOfferer() != results[p].a {
				t.Errorf("pair %d: A was told two different roles", p)
			}
			if r := waitRelay(t, ctx, b); r.Msg.GetRoleAssignment().GetIsOfferer() != results[p].b {
				t.Errorf("pair %d: B was told two different roles", p)
			}
		})
	}
	wg.Wait()
	for p, r := range results {
		if r.a == r.b {
			t.Fatalf("pair %d: offerer a=%v b=%v, want exactly one", p, r.a, r.b)
		}
	}
}
