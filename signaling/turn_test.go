package signaling_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// With a TURN secret, registration hands out a TURN credential the TURN
// server accepts (the actor's own, expiring with its credential) and the
// servers' URLs; renewal hands out a new one.
func TestRegistrationHandsOutTURNCredentials(t *testing.T) {
	ctx := guard(t)
	secret := []byte("signaling-test-turn-secret")
	urls := []string{"stun:turn.example.com:3478", "turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349?transport=tcp"}
	ts := newServer(t, signaling.ServerConfig{TURN: signaling.TURNConfig{Secret: secret, URLs: urls}}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	ice := a.ICEServers()
	if len(ice.URLs) != 3 || ice.URLs[2] != urls[2] {
		t.Fatalf("URLs %v", ice.URLs)
	}
	tc := &protocol.TurnCredential{Username: proto.String(ice.Username), Password: proto.String(ice.Credential)}
	id, err := auth.CheckTURNCredential(secret, tc, time.Now())
	if err != nil || id != a.ID() {
		t.Fatalf("TURN credential of %s: %v, %v", a.ID(), id, err)
	}
	if !ice.ExpiresAt.Equal(a.CredentialExpiry().Truncate(time.Second)) {
		t.Fatalf("TURN credential expires %v, the credential %v", ice.ExpiresAt, a.CredentialExpiry())
	}
	if _, err := auth.CheckTURNCredential(secret, tc, ice.ExpiresAt); !errors.Is(err, auth.ErrTURNExpired) {
		t.Fatalf("at its expiry: %v", err)
	}
	if err := a.RenewCredential(ctx); err != nil {
		t.Fatal(err)
	}
	again := a.ICEServers()
	renewed := &protocol.TurnCredential{Username: proto.String(again.Username), Password: proto.String(again.Credential)}
	if _, err := auth.CheckTURNCredential(secret, renewed, time.Now()); err != nil || again.ExpiresAt.Before(ice.ExpiresAt) ||
		!again.ExpiresAt.Equal(a.CredentialExpiry().Truncate(time.Second)) {
		t.Fatalf("renewed TURN credential %q (expires %v): %v", again.Username, again.ExpiresAt, err)
	}
}

func TestTURNConfigChecked(t *testing.T) {
	for _, u := range []string{"http://x", "turn:", "turn:host?transport=sctp", "turn:user@host", "stun"} {
		if err := signaling.CheckICEURL(u); !errors.Is(err, signaling.ErrBadICEURL) {
			t.Errorf("%q: %v", u, err)
		}
	}
	for _, u := range []string{"stun:1.2.3.4:3478", "turn:[::1]:3478?transport=tcp", "turns:turn.example.com"} {
		if err := signaling.CheckICEURL(u); err != nil {
			t.Errorf("%q: %v", u, err)
		}
	}
}
