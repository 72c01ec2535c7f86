package signaling_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/actr-go/actr/signaling"
)

func secretHeader(s string) http.Header {
	h := http.Header{}
	h.Set(signaling.HeaderRealmSecret, s)
	return h
}

// H12: a realm's secret admits only its realm, and failed secrets lock
// the address out (counted), even from presenting the right one.
func TestHostileH12SecretPerRealmAndLockout(t *testing.T) {
	ts := newServer(t, signaling.ServerConfig{
		Realms: map[uint32]signaling.RegistrationPolicy{1: {Secret: "one"}, 2: {Secret: "two"}},
		Limits: signaling.Limits{SecretFreeFailures: 2, SecretLockout: time.Hour},
	}, "")
	c := ts.srv.Counters()
	ctx := bounded(t, 5*time.Second)
	register := func(secret string, realm uint32) uint32 {
		t.Helper()
		ans, err := rawDial(t, ctx, ts.url, secretHeader(secret)).register(ctx, typeA, realm)
		if err != nil {
			t.Fatal(err)
		}
		if ans.GetServerToActr().GetRegisterResponse().GetSuccess() != nil {
			return 0
		}
		return ans.GetEnvelopeError().GetCode()
	}
	if code := register("one", 1); code != 0 {
		t.Fatalf("realm 1 with its secret: %d", code)
	}
	// Realm 1's secret opens neither realm 2 nor an unlisted realm.
	for i, realm := range []uint32{2, 4242} {
		if code := register("one", realm); code != signaling.CodeForbidden {
			t.Fatalf("realm %d with realm 1's secret: %d, want 403", realm, code)
		}
		if n := c.Refused(signaling.RefusedSecret); n != uint64(i+1) {
			t.Fatalf("failed secrets counted %d", n)
		}
	}
	// Two failures were free; the third locks the address out.
	if code := register("guess", 2); code != signaling.CodeForbidden {
		t.Fatalf("third wrong secret: %d, want 403", code)
	}
	if code := register("two", 2); code != signaling.CodeRateLimited {
		t.Fatalf("right secret from a locked-out address: %d, want 429", code)
	}
	if n := c.Refused(signaling.RefusedSecretLockout); n != 1 {
		t.Fatalf("lockout refusals counted %d, want 1", n)
	}
}
