package signaling

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// Renewal takes the current token only, rotates it, keeps the holder key,
// and stops with revocation (unregister); each refusal is counted.
func TestRenewalTokensRotateAndRevocationStopsThem(t *testing.T) {
	iss, _ := auth.GenerateIssuer(1)
	s, err := NewServer(ServerConfig{Issuer: iss, DefaultPolicy: RegistrationPolicy{Open: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := protocol.ActorID{Realm: 1, Serial: 5, Manufacturer: "acme", Name: "a", Version: "1"}
	pub, key, _ := ed25519.GenerateKey(nil)
	s.mu.Lock()
	first, err := s.issueLocked(id, pub, time.Now())
	s.mu.Unlock()
	if err != nil || len(first.GetRenewalToken()) < 32 || first.GetProofAudience() != s.ProofAudience() {
		t.Fatal(first, err)
	}
	if _, refusal := s.renew(id, nil); refusal.GetCode() != CodeUnauthorized {
		t.Fatal("renewed without a token")
	}
	second, refusal := s.renew(id, first.GetRenewalToken())
	if refusal != nil {
		t.Fatal(refusal)
	}
	c, err := s.cfg.Verifier.VerifyFor(second.GetCredential(), id)
	if err != nil || !c.HolderKey.Equal(pub) {
		t.Fatalf("renewed credential %v, %v: not bound to the registered key", c, err)
	}
	if _, refusal := s.renew(id, first.GetRenewalToken()); refusal.GetCode() != CodeUnauthorized {
		t.Fatal("the rotated-out token renewed again")
	}
	if _, refusal := s.renew(protocol.ActorID{Realm: 1, Serial: 6, Manufacturer: "acme", Name: "a", Version: "1"}, second.GetRenewalToken()); refusal == nil {
		t.Fatal("another actor renewed with the token")
	}
	if n := s.counters.RenewalRefused.Load(); n != 3 {
		t.Fatalf("RenewalRefused = %d", n)
	}
	// A resume with a proof works until the actor is revoked.
	p, _ := auth.Prove(key, second.GetCredential(), id, s.ProofAudience(), time.Now())
	if _, refusal := s.checkPresented(id, second.GetCredential(), p); refusal != nil {
		t.Fatal(refusal)
	}
	now := time.Now()
	s.mu.Lock()
	s.revokeLocked(id, now.Add(time.Hour), now)
	s.mu.Unlock()
	p, _ = auth.Prove(key, second.GetCredential(), id, s.ProofAudience(), time.Now())
	if _, refusal := s.checkPresented(id, second.GetCredential(), p); refusal.GetCode() != CodeUnauthorized {
		t.Fatal("a revoked actor resumed")
	}
	if _, refusal := s.renew(id, second.GetRenewalToken()); refusal.GetCode() != CodeUnauthorized {
		t.Fatal("a revoked actor renewed")
	}
	if n := s.counters.RevokedRefused.Load(); n != 2 {
		t.Fatalf("RevokedRefused = %d", n)
	}
	// Both tables are bounded.
	s.cfg.MaxRevoked, s.cfg.MaxRenewalTokens = 1, 1
	s.mu.Lock()
	s.revokeLocked(protocol.ActorID{Realm: 1, Serial: 7}, now.Add(time.Minute), now)
	_, _ = s.issueLocked(protocol.ActorID{Realm: 1, Serial: 8, Manufacturer: "m", Name: "n", Version: "1"}, nil, now)
	_, _ = s.issueLocked(protocol.ActorID{Realm: 1, Serial: 9, Manufacturer: "m", Name: "n", Version: "1"}, nil, now)
	nRev, nRen := len(s.revoked), len(s.renewals)
	s.mu.Unlock()
	if nRev != 1 || nRen != 1 || s.counters.RevokedEvicted.Load() != 1 || s.counters.RenewalTokensEvicted.Load() != 1 {
		t.Fatalf("revoked %d, renewals %d, evicted %d and %d", nRev, nRen, s.counters.RevokedEvicted.Load(), s.counters.RenewalTokensEvicted.Load())
	}
}
