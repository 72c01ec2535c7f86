package signaling_test

import (
	"errors"
	"testing"

	"github.com/actr-go/actr/signaling"
)

// The server restarts (same key, same address): clients reconnect, keep
// their ids, and get their subscriptions back.
func TestServerRestartClientsResumeWithSubscriptions(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	b := dial(t, ctx, ts.url, typeB, 1)
	if err := a.Subscribe(ctx, typeB); err != nil {
		t.Fatal(err)
	}
	idA, idB := a.ID(), b.ID()
	addr := ts.ln.Addr().String()
	ts.stop()
	ts2 := newServer(t, signaling.ServerConfig{Issuer: ts.iss}, addr)
	for _, c := range []*signaling.Client{a, b} {
		// A ping succeeds only on a connection the client has resumed on;
		// until the client notices the old one died, pings fail at once.
		for c.Ping(ctx) != nil {
			if err := c.WaitConnected(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if a.ID() != idA || b.ID() != idB {
		t.Fatalf("ids changed: %s→%s, %s→%s", idA, a.ID(), idB, b.ID())
	}
	// A's subscription was restored: a new B-type actor is announced.
	c := dial(t, ctx, ts2.url, typeB, 1)
	waitPresence(t, ctx, a, c.ID(), true)
	if !ts2.srv.Online(idA) || !ts2.srv.Online(idB) {
		t.Fatal("resumed actors are not online on the new server")
	}
}

// After a restart the server no longer knows a client's renewal token: the
// client resumes with its id, and its renewal is refused with a 401 (on
// which the client's keepalive reconnects and registers anew, rather than
// run on to its credential's end).
func TestRenewalIsRefusedAfterRestart(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	idA := a.ID()
	addr := ts.ln.Addr().String()
	ts.stop()
	newServer(t, signaling.ServerConfig{Issuer: ts.iss}, addr)
	for a.Ping(ctx) != nil {
		if err := a.WaitConnected(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if a.ID() != idA {
		t.Fatalf("the resume changed the id: %s → %s", idA, a.ID())
	}
	var refused *signaling.ErrorResponseError
	if err := a.RenewCredential(ctx); !errors.As(err, &refused) || refused.Code != signaling.CodeUnauthorized {
		t.Fatalf("renewal at a restarted server: %v, want a 401", err)
	}
}
