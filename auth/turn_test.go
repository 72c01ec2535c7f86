package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

func TestTURNCredential(t *testing.T) {
	secret := []byte("0123456789abcdef")
	id := protocol.ActorID{Realm: 3, Serial: 0xbeef, Manufacturer: "acme", Name: "echo", Version: "1"}
	exp := time.Unix(2_000_000_000, 0)
	tc := auth.NewTURNCredential(secret, id, exp)
	if want := "2000000000:beef@3/acme:echo:1"; tc.GetUsername() != want || tc.GetExpiresAt() != 2_000_000_000 {
		t.Fatalf("username %q expires %d, want %q", tc.GetUsername(), tc.GetExpiresAt(), want)
	}
	// base64(HMAC-SHA1("0123456789abcdef", username)), computed apart.
	if want := "ArblmH3jIRq7q/Gxc2Y+CtcwtsQ="; tc.GetPassword() != want {
		t.Fatalf("password %q, want %q", tc.GetPassword(), want)
	}
	got, err := auth.CheckTURNCredential(secret, tc, exp.Add(-time.Second))
	if err != nil || got != id {
		t.Fatalf("check: %v, %v", got, err)
	}
	if _, err := auth.CheckTURNCredential(secret, tc, exp); !errors.Is(err, auth.ErrTURNExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	if _, err := auth.CheckTURNCredential([]byte("another secret!!"), tc, exp.Add(-time.Second)); !errors.Is(err, auth.ErrTURNForged) {
		t.Fatalf("other secret: %v", err)
	}
	for _, bad := range []string{"", "abc", "x:beef@3/acme:echo:1", "-5:beef@3/acme:echo:1", "2000000000:nobody"} {
		if _, _, err := auth.CheckTURNUsername(bad, time.Unix(0, 0)); !errors.Is(err, auth.ErrTURNMalformed) {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if p := auth.NewTURNCredential(nil, id, exp).GetPassword(); p != "" {
		t.Fatalf("no secret: password %q", p)
	}
}
