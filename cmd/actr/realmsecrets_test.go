package main

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
)

// H12, the command's side: one plain secret admits only the realms
// --secret-realms names; realm=secret lines admit each realm with its own
// secret; any other realm (4242) refuses registration.
func TestHostileH12SignalSecretAdmitsOnlyItsRealm(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ := signaling.ActorType{Manufacturer: "acme", Name: "x"}
	register := func(url string, realm uint32, secret string) error {
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, Type: typ, Realm: realm, RealmSecret: secret})
		if err == nil {
			_ = c.Close()
		}
		return err
	}
	for _, tc := range []struct {
		name, file, realms string
		admit              map[uint32]string
		refuse             map[uint32]string
	}{
		{"plain secret", "s3cret==\n", "1", map[uint32]string{1: "s3cret=="}, map[uint32]string{4242: "s3cret==", 2: "s3cret=="}},
		{"plain secret, two realms", "s3cret", "1, 7", map[uint32]string{1: "s3cret", 7: "s3cret"}, map[uint32]string{4242: "s3cret"}},
		{"realm lines", "# realms\n1=one\n2 = two\n", "1", map[uint32]string{1: "one", 2: "two"}, map[uint32]string{2: "one", 1: "two", 4242: "one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			realms, def, err := realmPolicies("secret", tc.file, tc.realms)
			if err != nil {
				t.Fatal(err)
			}
			url := signalingtest.Start(t, signaling.ServerConfig{Realms: realms, DefaultPolicy: def}).URL
			for realm, secret := range tc.admit {
				if err := register(url, realm, secret); err != nil {
					t.Fatalf("realm %d with its secret: %v", realm, err)
				}
			}
			for realm, secret := range tc.refuse {
				var er *signaling.ErrorResponseError
				if err := register(url, realm, secret); !errors.As(err, &er) || er.Code != signaling.CodeForbidden {
					t.Fatalf("realm %d admitted with another realm's secret: %v", realm, err)
				}
			}
		})
	}
	for _, bad := range []string{"", "\n# only a comment\n", "1=one\nplain", "1=one\n1=again", "1="} {
		if _, _, err := realmPolicies("secret", bad, "1"); err == nil {
			t.Errorf("secret file %q accepted", bad)
		}
	}
	if _, _, err := realmPolicies("secret", "plain", "x"); err == nil {
		t.Error("--secret-realms x accepted")
	}
}

// A node given the server's realm=secret file presents its own realm's
// secret, not the file.
func TestNodeSecretForItsRealm(t *testing.T) {
	for _, tc := range []struct {
		secret string
		realm  uint32
		want   string
		fails  bool
	}{
		{"", 1, "", false},
		{"plain", 7, "plain", false},
		{"b64==", 7, "b64==", false},
		{"1=one\n2=two\n", 2, "two", false},
		{"# realms\n1=one\n\n2 = two\n", 1, "one", false},
		{"1=one\n2=two\n", 3, "", true},
	} {
		got, err := secretForRealm(tc.secret, tc.realm)
		if (err != nil) != tc.fails || got != tc.want {
			t.Errorf("secretForRealm(%q, %d) = %q, %v; want %q (error: %v)", tc.secret, tc.realm, got, err, tc.want, tc.fails)
		}
	}
}
