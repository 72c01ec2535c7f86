package signaling_test

import (
	"testing"
	"time"

	"github.com/actr-go/actr/signaling"
)

// The server's role rule over real connections: the larger ActorID offers,
// unless one side connected with webrtc_role=answer (ClientConfig.AnswerOnly).
func TestRoleRuleWithWebRTCRole(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	dialRole := func(answerOnly bool) *signaling.Client {
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, Type: typeA, Realm: 1, AnswerOnly: answerOnly,
			ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	for _, tc := range []struct {
		name                     string
		smallAnswers, bigAnswers bool
		smallOffers              bool
	}{
		{"neither asks: the larger offers", false, false, false},
		{"the larger answers only: the smaller offers", false, true, true},
		{"the smaller answers only: the larger offers", true, false, false},
		{"both ask: the larger offers", true, true, false},
	} {
		small := dialRole(tc.smallAnswers)
		big := dialRole(tc.bigAnswers) // registered later: a larger serial
		if small.ID().Compare(big.ID()) >= 0 {
			t.Fatalf("%s: serials not increasing", tc.name)
		}
		offers, err := small.NegotiateRole(ctx, big.ID())
		if err != nil {
			t.Fatal(err)
		}
		if offers != tc.smallOffers {
			t.Errorf("%s: the smaller offers = %v", tc.name, offers)
		}
		// The other side is told the opposite.
		r := waitRelay(t, ctx, big)
		if ra := r.Msg.GetRoleAssignment(); ra == nil || ra.GetIsOfferer() == offers {
			t.Errorf("%s: the larger was told %v", tc.name, ra)
		}
	}
}
