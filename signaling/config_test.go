package signaling_test

import (
	"strings"
	"testing"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/signaling"
)

// A configuration under which no realm admits anyone fails at NewServer,
// saying what to set, instead of refusing every registration later.
func TestServerConfigAdmittingNobodyFails(t *testing.T) {
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		t.Fatal(err)
	}
	for _, cfg := range []signaling.ServerConfig{
		{Issuer: iss},
		{Issuer: iss, Realms: map[uint32]signaling.RegistrationPolicy{1: {}}},
	} {
		srv, err := signaling.NewServer(cfg)
		if err == nil {
			_ = srv.Close()
			t.Fatalf("%+v accepted", cfg.Realms)
		}
		if !strings.Contains(err.Error(), "admits no registration") || !strings.Contains(err.Error(), "DefaultPolicy") {
			t.Fatalf("error %q does not say what to set", err)
		}
	}
	for _, cfg := range []signaling.ServerConfig{
		{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}},
		{Issuer: iss, Realms: map[uint32]signaling.RegistrationPolicy{1: {Secret: "s"}}},
	} {
		srv, err := signaling.NewServer(cfg)
		if err != nil {
			t.Fatalf("%+v: %v", cfg, err)
		}
		_ = srv.Close()
	}
}
