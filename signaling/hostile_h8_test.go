package signaling_test

import (
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/signaling"
)

// H8 (server side): strangers each start a role negotiation with a node;
// the node's answers exceed its rate limit. The server refuses the excess
// with 429 envelopes (counted) and never closes the node's connection for
// it. The test uses only what the server had before the limits of issue
// 19, so it runs unchanged against the old server, which closed the node
// as abusive.
func TestHostileH8NodeAnsweringSessionsNotDisconnected(t *testing.T) {
	const strangers, answersEach = 30, 3
	ts := newServer(t, signaling.ServerConfig{RateLimit: 20, RateBurst: 20, MaxViolations: 8}, "")
	ctx := bounded(t, 10*time.Second)
	node := dial(t, ctx, ts.url, typeA, 1)
	for range strangers {
		s := dial(t, ctx, ts.url, typeB, 1)
		if _, err := s.NegotiateRole(ctx, node.ID()); err != nil {
			t.Fatal(err)
		}
	}
	// The node answers every session it was asked into, at once.
	for range strangers {
		r := waitRelay(t, ctx, node)
		for range answersEach {
			if err := node.SendIceCandidate(r.From, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Its connection survives: a ping is answered (after 429s while the
	// bucket refills, each a round trip, bounded by ctx).
	for {
		err := node.Ping(ctx)
		if err == nil {
			break
		}
		var er *signaling.ErrorResponseError
		if !errors.As(err, &er) || er.Code != signaling.CodeRateLimited {
			t.Fatalf("node's ping: %v", err)
		}
	}
	c := ts.srv.Counters()
	if c.AbuseClosed.Load() != 0 || c.Resumes.Load() != 0 {
		t.Fatalf("the node was disconnected for answering: abuse closes %d, resumes %d", c.AbuseClosed.Load(), c.Resumes.Load())
	}
	if c.RateLimited.Load() == 0 {
		t.Fatalf("the node's %d answers at 20/s were all accepted: the limit was not exercised", strangers*answersEach)
	}
}
