package signaling_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

func subscribeEnv(typ signaling.ActorType) *protocol.ActrToSignaling {
	return &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_SubscribeActrUpRequest{SubscribeActrUpRequest: &protocol.SubscribeActrUpRequest{
		TargetType: &protocol.ActrType{Manufacturer: proto.String(typ.Manufacturer), Name: proto.String(typ.Name)}}}}
}

// H6: presence subscriptions are capped per actor, across its
// connections, with a clear 413 and a count; type names are capped
// wherever a type is accepted.
func TestHostileH6SubscriptionsCapped(t *testing.T) {
	const maxSubs, maxName = 8, 32
	ts := newServer(t, signaling.ServerConfig{AllowBearer: true, // a second raw connection resumes with the bearer credential
		Limits: signaling.Limits{MaxSubscriptions: maxSubs, MaxTypeName: maxName}}, "")
	c := ts.srv.Counters()
	ctx := bounded(t, 5*time.Second)
	r, id, cred := rawRegister(t, ctx, ts.url, nil, typeA, 1)

	accepted := 0
	for i := range 3 * maxSubs {
		if i == maxSubs+2 { // a second connection of the same actor finds the same count
			r = rawDial(t, ctx, ts.url, nil)
		}
		ans, err := r.request(ctx, actorEnv(id, cred, subscribeEnv(signaling.ActorType{Manufacturer: "acme", Name: fmt.Sprint("t", i)})))
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case ans.GetServerToActr().GetSubscribeActrUpResponse().GetSuccess() != nil:
			accepted++
		case ans.GetEnvelopeError().GetCode() != signaling.CodeTooLarge:
			t.Fatalf("subscription %d: %v, want success or 413", i, ans)
		}
	}
	if accepted != maxSubs || c.Refused(signaling.RefusedSubscriptions) != 2*maxSubs {
		t.Fatalf("accepted %d of %d (cap %d), refusals counted %d", accepted, 3*maxSubs, maxSubs, c.Refused(signaling.RefusedSubscriptions))
	}
	// Subscribing again to a type already subscribed is not a new one.
	ans, err := r.request(ctx, actorEnv(id, cred, subscribeEnv(signaling.ActorType{Manufacturer: "acme", Name: "t0"})))
	if err != nil || ans.GetServerToActr().GetSubscribeActrUpResponse().GetSuccess() == nil {
		t.Fatalf("re-subscription at the cap: %v %v", ans, err)
	}

	long := strings.Repeat("x", maxName+1)
	for name, env := range map[string]*protocol.SignalingEnvelope{
		"register":  registerEnv(signaling.ActorType{Manufacturer: "acme", Name: long}, 1),
		"subscribe": actorEnv(id, cred, subscribeEnv(signaling.ActorType{Manufacturer: long, Name: "a"})),
		"unsubscribe": actorEnv(id, cred, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_UnsubscribeActrUpRequest{UnsubscribeActrUpRequest: &protocol.UnsubscribeActrUpRequest{
			TargetType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String(long)}}}}),
		"discovery": actorEnv(id, cred, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_DiscoveryRequest{DiscoveryRequest: &protocol.DiscoveryRequest{
			Manufacturer: proto.String(long)}}}),
		"route candidates": actorEnv(id, cred, &protocol.ActrToSignaling{Payload: &protocol.ActrToSignaling_RouteCandidatesRequest{RouteCandidatesRequest: &protocol.RouteCandidatesRequest{
			TargetType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String(long)}}}}),
	} {
		rr := r
		if name == "register" {
			rr = rawDial(t, ctx, ts.url, nil)
		}
		ans, err := rr.request(ctx, env)
		if err != nil || ans.GetEnvelopeError().GetCode() != signaling.CodeBadRequest || !strings.Contains(ans.GetEnvelopeError().GetMessage(), "at most") {
			t.Fatalf("%s with a %d-byte name: %v %v, want 400", name, len(long), ans, err)
		}
	}
	if n := c.Refused(signaling.RefusedTypeName); n != 5 {
		t.Fatalf("type-name refusals counted %d, want 5", n)
	}
}
