package signaling_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// pingAll sends n pings on r as id and counts the pongs among the answers.
func pingAll(t *testing.T, r *raw, id protocol.ActorID, cred *protocol.AIdCredential, n int) (pongs int) {
	t.Helper()
	ctx := bounded(t, 5*time.Second)
	for range n {
		ans, err := r.request(ctx, pingEnv(id, cred))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ans.GetServerToActr().GetPong() != nil:
			pongs++
		case ans.GetEnvelopeError().GetCode() != signaling.CodeRateLimited:
			t.Fatalf("ping answered %v, want pong or 429", ans)
		}
	}
	return pongs
}

// H7: opening connections does not multiply the rate limits. The
// envelopes of all connections from one address share one budget, those
// of all connections of one actor another, and registrations from one
// address have their own rate.
func TestHostileH7RateLimitsPerAddressAndActor(t *testing.T) {
	t.Run("per address", func(t *testing.T) {
		// Per connection the limit is generous; per address, 100 and a
		// refill of 1/s.
		ts := newServer(t, signaling.ServerConfig{RateLimit: 1000, RateBurst: 1000,
			Limits: signaling.Limits{AddrRateLimit: 1, AddrRateBurst: 100}}, "")
		ctx := bounded(t, 5*time.Second)
		const conns, each = 5, 50
		type actor struct {
			r    *raw
			id   protocol.ActorID
			cred *protocol.AIdCredential
		}
		var as []actor
		for i := range conns {
			r, id, cred := rawRegister(t, ctx, ts.url, nil, signaling.ActorType{Manufacturer: "acme", Name: fmt.Sprint("p", i)}, 1)
			as = append(as, actor{r, id, cred})
		}
		total := 0
		for _, a := range as {
			total += pingAll(t, a.r, a.id, a.cred, each)
		}
		// 100 tokens, 5 spent on registering, plus what 1/s refills.
		if total > 100 || ts.srv.Counters().Refused(signaling.RefusedAddrRate) < conns*each-100 {
			t.Fatalf("%d of %d pings from %d connections answered; %d refusals counted", total, conns*each, conns,
				ts.srv.Counters().Refused(signaling.RefusedAddrRate))
		}
	})
	t.Run("per actor", func(t *testing.T) {
		ts := newServer(t, signaling.ServerConfig{RateLimit: 0.01, RateBurst: 20, AllowBearer: true}, "")
		ctx := bounded(t, 5*time.Second)
		r, id, cred := rawRegister(t, ctx, ts.url, nil, typeA, 1)
		first := pingAll(t, r, id, cred, 15)
		// A new connection of the same actor has a fresh connection bucket
		// but finds the actor's as the first one left it.
		second := pingAll(t, rawDial(t, ctx, ts.url, nil), id, cred, 15)
		if first != 15 || second > 5 || ts.srv.Counters().Refused(signaling.RefusedActorRate) == 0 {
			t.Fatalf("pongs %d then %d on a second connection, want 15 then at most 5", first, second)
		}
	})
	t.Run("registrations per address", func(t *testing.T) {
		ts := newServer(t, signaling.ServerConfig{Limits: signaling.Limits{RegisterRate: 0.01, RegisterBurst: 5}}, "")
		ctx := bounded(t, 5*time.Second)
		ok := 0
		for range 10 {
			ans, err := rawDial(t, ctx, ts.url, nil).register(ctx, typeA, 1)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case ans.GetServerToActr().GetRegisterResponse().GetSuccess() != nil:
				ok++
			case ans.GetEnvelopeError().GetCode() != signaling.CodeRateLimited:
				t.Fatalf("registration answered %v, want success or 429", ans)
			}
		}
		if ok != 5 || ts.srv.Counters().Refused(signaling.RefusedRegisterRate) != 5 {
			t.Fatalf("%d of 10 registrations accepted at a burst of 5; %d refusals counted", ok, ts.srv.Counters().Refused(signaling.RefusedRegisterRate))
		}
	})
}
