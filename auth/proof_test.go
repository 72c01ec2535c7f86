package auth_test

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// bound issues alice a credential bound to a fresh holder key.
func bound(t testing.TB, iss *auth.Issuer) (*protocol.AIdCredential, auth.Claims, ed25519.PrivateKey) {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	cred, claims, err := iss.IssueBoundAt(alice, pub, t0, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return cred, claims, key
}

func prove(t testing.TB, key ed25519.PrivateKey, cred *protocol.AIdCredential, audience string, at time.Time) *protocol.ProofOfPossession {
	t.Helper()
	p, err := auth.Prove(key, cred, alice, audience, at)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProofAcceptedOnceForItsAudience(t *testing.T) {
	iss, v := setup(t)
	cred, _, key := bound(t, iss)
	gate := auth.GateAudience(protocol.ActorID{Realm: 3, Serial: 7, Manufacturer: "acme", Name: "bob", Version: "1"})
	pc := auth.NewProofChecker(gate, 0, 0)
	claims, err := v.VerifyForAt(cred, alice, t0)
	if err != nil {
		t.Fatal(err)
	}
	p := prove(t, key, cred, gate, t0)
	if err := pc.Check(p, cred, claims, t0); err != nil {
		t.Fatal(err)
	}
	// The same proof again, even re-encoded through the header: refused.
	back, err := auth.DecodeProofHeader(auth.EncodeProofHeader(p))
	if err != nil || !proto.Equal(back, p) {
		t.Fatal(back, err)
	}
	wantRefusal(t, pc.Check(back, cred, claims, t0.Add(time.Second)), auth.ErrReplayedProof)
	// A fresh proof is fine.
	if err := pc.Check(prove(t, key, cred, gate, t0), cred, claims, t0); err != nil {
		t.Fatal(err)
	}
	if pc.Remembered() != 2 {
		t.Fatalf("remembers %d proofs", pc.Remembered())
	}
	// Made for another gate, or for a signaling server: refused here.
	for _, aud := range []string{auth.GateAudience(alice), auth.SignalingAudience(iss.PublicKey()), ""} {
		wantRefusal(t, pc.Check(prove(t, key, cred, aud, t0), cred, claims, t0), auth.ErrWrongAudience)
	}
	// Outside the window, either way.
	for _, at := range []time.Time{t0.Add(-auth.DefaultProofWindow - time.Millisecond), t0.Add(auth.DefaultProofWindow + time.Millisecond)} {
		ve := wantRefusal(t, pc.Check(prove(t, key, cred, gate, at), cred, claims, t0), auth.ErrStaleProof)
		if !strings.Contains(ve.Error(), "window") {
			t.Fatal(ve)
		}
	}
	if err := pc.Check(prove(t, key, cred, gate, t0.Add(-auth.DefaultProofWindow)), cred, claims, t0); err != nil {
		t.Fatalf("at the edge of the window: %v", err)
	}
	// Forgotten only once its window is over, when it is stale anyway.
	pc.Sweep(t0.Add(2*auth.DefaultProofWindow - time.Millisecond))
	if pc.Remembered() == 0 {
		t.Fatal("forgot proofs still in their window")
	}
	pc.Sweep(t0.Add(3 * auth.DefaultProofWindow))
	if pc.Remembered() != 0 {
		t.Fatalf("remembers %d proofs after their windows", pc.Remembered())
	}
	wantRefusal(t, pc.Check(p, cred, claims, t0.Add(3*auth.DefaultProofWindow)), auth.ErrStaleProof)
}

func TestProofRefusals(t *testing.T) {
	iss, v := setup(t)
	cred, claims, key := bound(t, iss)
	other, otherClaims, otherKey := bound(t, iss) // alice again, another key
	const aud = "gate:x"
	pc := auth.NewProofChecker(aud, time.Minute, 0)
	wantRefusal(t, pc.Check(nil, cred, claims, t0), auth.ErrNoProof)
	// A proof by another key, or for another credential of the same actor.
	p, err := auth.Prove(otherKey, other, alice, aud, t0)
	if err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, pc.Check(p, cred, claims, t0), auth.ErrBadProof)
	_ = otherClaims
	if _, err := auth.Prove(otherKey, cred, alice, aud, t0); err == nil {
		t.Fatal("Prove signed for a credential bound to another key")
	}
	// Tampered: every byte of the body or the signature.
	good := prove(t, key, cred, aud, t0)
	for i := range len(good.Body) + len(good.Signature) {
		q := proto.Clone(good).(*protocol.ProofOfPossession)
		if i < len(q.Body) {
			q.Body[i] ^= 1
		} else {
			q.Signature[i-len(q.Body)] ^= 1
		}
		wantRefusal(t, pc.Check(q, cred, claims, t0), auth.ErrBadProof)
	}
	// Presented as another actor's: the source is signed.
	carol := alice
	carol.Serial++
	pCarol, err := auth.Prove(key, cred, carol, aud, t0)
	if err != nil {
		t.Fatal(err)
	}
	wantRefusal(t, pc.Check(pCarol, cred, claims, t0), auth.ErrBadProof)
	// A bearer credential has no proof to check.
	bearer := issue(t, iss, alice, t0, time.Hour)
	bc, _ := v.VerifyAt(bearer, t0)
	wantRefusal(t, pc.Check(good, bearer, bc, t0), auth.ErrBearer)
	if _, err := auth.Prove(key, bearer, alice, aud, t0); err == nil {
		t.Fatal("Prove signed for a bearer credential")
	}
	for _, h := range []string{"!!", "CgA", strings.Repeat("A", auth.MaxProofHeaderLen+4), "/w=="} {
		_, err := auth.DecodeProofHeader(h)
		wantRefusal(t, err, auth.ErrBadProof)
	}
}

// The cache is bounded: full of proofs in their window, it refuses
// further ones (counted) rather than forget one that could be replayed.
func TestProofCheckerBudget(t *testing.T) {
	iss, _ := setup(t)
	cred, claims, key := bound(t, iss)
	pc := auth.NewProofChecker("a", time.Second, 3)
	for range 3 {
		if err := pc.Check(prove(t, key, cred, "a", t0), cred, claims, t0); err != nil {
			t.Fatal(err)
		}
	}
	wantRefusal(t, pc.Check(prove(t, key, cred, "a", t0), cred, claims, t0), auth.ErrReplayCacheFull)
	if pc.FullRefusals() != 1 {
		t.Fatal(pc.FullRefusals())
	}
	// Once the remembered proofs' windows pass, there is room again.
	later := t0.Add(2 * time.Second)
	if err := pc.Check(prove(t, key, cred, "a", later), cred, claims, later); err != nil {
		t.Fatal(err)
	}
	if pc.Remembered() != 1 {
		t.Fatal(pc.Remembered())
	}
}

// FuzzDecodeProofHeader: any text gives a proof or ErrBadProof, never a
// panic, and a checker given what decodes never panics either.
func FuzzDecodeProofHeader(f *testing.F) {
	iss := fixedIssuer(f)
	cred, claims, err := iss.IssueBoundAt(alice, fuzzHolder, time.Unix(1_800_000_000, 0), time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("")
	f.Add("CgA=")
	f.Add(auth.EncodeProofHeader(&protocol.ProofOfPossession{Body: []byte{0x12, 0x01, 'a'}, Signature: make([]byte, 64)}))
	pc := auth.NewProofChecker("a", time.Hour, 16)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := auth.DecodeProofHeader(s)
		if err != nil {
			wantRefusal(t, err, auth.ErrBadProof)
			return
		}
		if err := pc.Check(p, cred, claims, time.Unix(1_800_000_000, 0)); err == nil {
			t.Fatal("accepted a proof nobody signed")
		}
	})
}
