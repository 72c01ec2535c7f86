package auth_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

var (
	alice = protocol.ActorID{Realm: 3, Serial: 42, Manufacturer: "acme", Name: "alice"}
	t0    = time.Unix(1_800_000_000, 0).UTC()
)

func setup(t testing.TB) (*auth.Issuer, *auth.Verifier) {
	t.Helper()
	iss, err := auth.GenerateIssuer(5)
	if err != nil {
		t.Fatal(err)
	}
	return iss, auth.NewVerifier(map[uint32]ed25519.PublicKey{5: iss.PublicKey()})
}

func issue(t testing.TB, iss *auth.Issuer, actor protocol.ActorID, now time.Time, ttl time.Duration) *protocol.AIdCredential {
	t.Helper()
	cred, _, err := iss.IssueAt(actor, now, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return cred
}

// wantRefusal checks that err is a *VerifyError for reason.
func wantRefusal(t testing.TB, err, reason error) *auth.VerifyError {
	t.Helper()
	var ve *auth.VerifyError
	if !errors.Is(err, reason) || !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *VerifyError matching %v", err, reason)
	}
	if ve.Reason != reason || ve.Unwrap() != reason {
		t.Fatalf("Reason = %v, want %v", ve.Reason, reason)
	}
	return ve
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	iss, v := setup(t)
	// A non-UTC, sub-second issue time: claims come back in UTC at second
	// precision and compare equal with ==.
	now := t0.Add(700 * time.Millisecond).In(time.FixedZone("X", 5*3600))
	cred, claims, err := iss.IssueAt(alice, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if cred.GetTokenKeyId() != 5 || cred.TokenKeyId == nil {
		t.Fatalf("token_key_id = %v", cred.TokenKeyId)
	}
	want := auth.Claims{Actor: alice, KeyID: 5, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
	if claims != want {
		t.Fatalf("issued claims %v, want %v", claims, want)
	}
	for _, at := range []time.Time{now, t0, t0.Add(time.Hour - time.Nanosecond)} {
		got, err := v.VerifyForAt(cred, alice, at)
		if err != nil {
			t.Fatalf("at %v: %v", at, err)
		}
		if got != want {
			t.Fatalf("verified claims %v, want %v", got, want)
		}
		if got, err := v.VerifyAt(cred, at); err != nil || got != want {
			t.Fatalf("VerifyAt = %v, %v", got, err)
		}
	}
	// Issue and Verify with the real clock.
	cred, _, err = iss.Issue(alice, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(cred); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyFor(cred, alice); err != nil {
		t.Fatal(err)
	}
	// The credential survives a protobuf round trip (as in RegisterOk).
	b, err := proto.Marshal(cred)
	if err != nil {
		t.Fatal(err)
	}
	var back protocol.AIdCredential
	if err := proto.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyFor(&back, alice); err != nil {
		t.Fatal(err)
	}
}

func TestExpired(t *testing.T) {
	iss, v := setup(t)
	cred := issue(t, iss, alice, t0, time.Hour)
	for _, at := range []time.Time{t0.Add(time.Hour), t0.Add(time.Hour + time.Nanosecond), t0.Add(1000 * time.Hour)} {
		ve := wantRefusal(t, func() error { _, err := v.VerifyAt(cred, at); return err }(), auth.ErrExpired)
		if ve.Actor != alice || ve.KeyID != 5 || !strings.Contains(ve.Error(), "renew the credential") {
			t.Fatalf("%+v: %v", ve, ve)
		}
	}
}

func TestNotYetValid(t *testing.T) {
	iss, v := setup(t)
	cred := issue(t, iss, alice, t0, time.Hour)
	// Within the default 30 s tolerance: fine.
	if _, err := v.VerifyAt(cred, t0.Add(-auth.DefaultClockSkew)); err != nil {
		t.Fatal(err)
	}
	_, err := v.VerifyAt(cred, t0.Add(-auth.DefaultClockSkew-time.Second))
	if ve := wantRefusal(t, err, auth.ErrNotYetValid); !strings.Contains(ve.Error(), "clock") {
		t.Fatal(ve)
	}
	v.SetClockSkew(0)
	if _, err := v.VerifyAt(cred, t0); err != nil {
		t.Fatal(err)
	}
	_, err = v.VerifyAt(cred, t0.Add(-time.Nanosecond))
	wantRefusal(t, err, auth.ErrNotYetValid)
	v.SetClockSkew(-time.Hour) // counts as zero
	if _, err := v.VerifyAt(cred, t0); err != nil {
		t.Fatal(err)
	}
	v.SetClockSkew(2 * time.Hour)
	if _, err := v.VerifyAt(cred, t0.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
}

func TestUnknownKey(t *testing.T) {
	iss, v := setup(t)
	stranger, _ := auth.GenerateIssuer(6)
	_, err := v.VerifyAt(issue(t, stranger, alice, t0, time.Hour), t0)
	ve := wantRefusal(t, err, auth.ErrUnknownKey)
	if ve.KeyID != 6 || !strings.Contains(ve.Error(), "add key id 6") {
		t.Fatalf("%+v: %v", ve, ve)
	}
	// Rotation: a key removed stops working, a key added starts.
	cred := issue(t, iss, alice, t0, time.Hour)
	v.RemoveKey(5)
	_, err = v.VerifyAt(cred, t0)
	wantRefusal(t, err, auth.ErrUnknownKey)
	if err := v.AddKey(5, iss.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyAt(cred, t0); err != nil {
		t.Fatal(err)
	}
	if err := v.AddKey(7, make([]byte, 31)); err == nil {
		t.Fatal("AddKey accepted a 31-byte key")
	}
	// A bad key given to NewVerifier does not make Verify panic.
	bad := auth.NewVerifier(map[uint32]ed25519.PublicKey{5: iss.PublicKey()[:16]})
	_, err = bad.VerifyAt(cred, t0)
	if ve := wantRefusal(t, err, auth.ErrUnknownKey); !strings.Contains(ve.Error(), "configuration") {
		t.Fatal(ve)
	}
	// The zero Verifier knows no key and can be given one.
	var zero auth.Verifier
	_, err = zero.VerifyAt(cred, t0)
	wantRefusal(t, err, auth.ErrUnknownKey)
	if err := zero.AddKey(5, iss.PublicKey()); err != nil {
		t.Fatal(err)
	}
	if _, err := zero.VerifyAt(cred, t0.Add(-auth.DefaultClockSkew)); err != nil {
		t.Fatal(err)
	}
}

func TestNewVerifierCopiesKeys(t *testing.T) {
	iss, _ := setup(t)
	pub := iss.PublicKey()
	keys := map[uint32]ed25519.PublicKey{5: pub}
	v := auth.NewVerifier(keys)
	delete(keys, 5)
	pub[0] ^= 1
	if _, err := v.VerifyAt(issue(t, iss, alice, t0, time.Hour), t0); err != nil {
		t.Fatal(err)
	}
}

// Another issuer using the same key id cannot forge a credential.
func TestForgedWithSameKeyID(t *testing.T) {
	_, v := setup(t)
	forger, _ := auth.GenerateIssuer(5)
	_, err := v.VerifyAt(issue(t, forger, alice, t0, time.Hour), t0)
	if ve := wantRefusal(t, err, auth.ErrBadSignature); ve.KeyID != 5 {
		t.Fatal(ve)
	}
}

// Flipping any bit of any byte of a token must make it fail, and no
// modification of the token may verify.
func TestEveryTamperedByteIsRefused(t *testing.T) {
	iss, v := setup(t)
	good := issue(t, iss, alice, t0, time.Hour)
	for i := range good.EncryptedToken {
		for _, mask := range []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xff} {
			tok := append([]byte(nil), good.EncryptedToken...)
			tok[i] ^= mask
			c, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: tok, TokenKeyId: good.TokenKeyId}, t0)
			if err == nil {
				t.Fatalf("byte %d ^ %#x went unnoticed: %v", i, mask, c)
			}
			var ve *auth.VerifyError
			if !errors.As(err, &ve) {
				t.Fatalf("byte %d: %v is not a *VerifyError", i, err)
			}
			switch {
			case errors.Is(err, auth.ErrMalformed), errors.Is(err, auth.ErrBadSignature), errors.Is(err, auth.ErrUnknownKey):
			default:
				t.Fatalf("byte %d ^ %#x: unexpected refusal %v", i, mask, err)
			}
		}
	}
}

func TestKeyIDMismatch(t *testing.T) {
	iss, v := setup(t)
	other, _ := auth.GenerateIssuer(6)
	if err := v.AddKey(6, other.PublicKey()); err != nil {
		t.Fatal(err)
	}
	good := issue(t, iss, alice, t0, time.Hour)
	for _, label := range []*uint32{nil, proto.Uint32(0), proto.Uint32(6), proto.Uint32(99)} {
		_, err := v.VerifyAt(&protocol.AIdCredential{EncryptedToken: good.EncryptedToken, TokenKeyId: label}, t0)
		if ve := wantRefusal(t, err, auth.ErrBadSignature); !strings.Contains(ve.Error(), "altered") {
			t.Fatal(ve)
		}
	}
}

func TestWrongActor(t *testing.T) {
	iss, v := setup(t)
	cred := issue(t, iss, alice, t0, time.Hour)
	for _, other := range []protocol.ActorID{
		{Realm: 4, Serial: 42, Manufacturer: "acme", Name: "alice"},
		{Realm: 3, Serial: 43, Manufacturer: "acme", Name: "alice"},
		{Realm: 3, Serial: 42, Manufacturer: "acmf", Name: "alice"},
		{Realm: 3, Serial: 42, Manufacturer: "acme", Name: "alicf"},
		{},
	} {
		_, err := v.VerifyForAt(cred, other, t0)
		ve := wantRefusal(t, err, auth.ErrWrongActor)
		if ve.Actor != alice || !strings.Contains(ve.Error(), other.String()) {
			t.Fatalf("%+v: %v", ve, ve)
		}
	}
	// VerifyFor reports the credential's own problem before the actor's.
	_, err := v.VerifyForAt(cred, protocol.ActorID{Realm: 9}, t0.Add(2*time.Hour))
	wantRefusal(t, err, auth.ErrExpired)
}

func TestMalformed(t *testing.T) {
	iss, v := setup(t)
	good := issue(t, iss, alice, t0, time.Hour)
	tok := good.EncryptedToken
	cases := map[string]*protocol.AIdCredential{
		"nil":              nil,
		"empty message":    {},
		"empty token":      {EncryptedToken: []byte{}, TokenKeyId: proto.Uint32(5)},
		"trailing garbage": {EncryptedToken: append(append([]byte(nil), tok...), 0), TokenKeyId: proto.Uint32(5)},
		"doubled":          {EncryptedToken: append(append([]byte(nil), tok...), tok...), TokenKeyId: proto.Uint32(5)},
		"version 2":        {EncryptedToken: append([]byte{2}, tok[1:]...), TokenKeyId: proto.Uint32(5)},
		"version 0":        {EncryptedToken: append([]byte{0}, tok[1:]...), TokenKeyId: proto.Uint32(5)},
		"huge":             {EncryptedToken: make([]byte, 1<<20), TokenKeyId: proto.Uint32(5)},
	}
	for n := range len(tok) {
		cases[fmt.Sprintf("truncated to %d", n)] = &protocol.AIdCredential{EncryptedToken: tok[:n], TokenKeyId: proto.Uint32(5)}
	}
	for name, cred := range cases {
		_, err := v.VerifyForAt(cred, alice, t0)
		if ve := wantRefusal(t, err, auth.ErrMalformed); ve.Detail == "" {
			t.Fatalf("%s: no detail", name)
		}
	}
}

func TestIssueRejectsBadInput(t *testing.T) {
	iss, v := setup(t)
	long := strings.Repeat("x", 256)
	for name, f := range map[string]func() error{
		"zero actor":        func() error { _, _, err := iss.Issue(protocol.ActorID{}, time.Hour); return err },
		"zero ttl":          func() error { _, _, err := iss.Issue(alice, 0); return err },
		"negative ttl":      func() error { _, _, err := iss.Issue(alice, -time.Hour); return err },
		"sub-second ttl":    func() error { _, _, err := iss.Issue(alice, 999*time.Millisecond); return err },
		"long manufacturer": func() error { _, _, err := iss.Issue(protocol.ActorID{Manufacturer: long}, time.Hour); return err },
		"long name":         func() error { _, _, err := iss.Issue(protocol.ActorID{Name: long}, time.Hour); return err },
		"before 1970": func() error {
			_, _, err := iss.IssueAt(alice, time.Unix(-1, 0), time.Hour)
			return err
		},
		"after 9999": func() error {
			_, _, err := iss.IssueAt(alice, time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC), 2*time.Hour)
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: issued", name)
		}
	}
	if _, err := auth.NewIssuer(1, make([]byte, 3)); err == nil {
		t.Fatal("short key accepted")
	}
	corrupt := iss.PrivateKey()
	corrupt[40] ^= 1 // public half no longer matches the seed
	if _, err := auth.NewIssuer(1, corrupt); err == nil {
		t.Fatal("corrupt key accepted")
	}
	// Limits are inclusive.
	maxActor := protocol.ActorID{Realm: ^uint32(0), Serial: ^uint64(0), Manufacturer: strings.Repeat("\xff", 255), Name: strings.Repeat(":", 255)}
	cred, _, err := iss.IssueAt(maxActor, time.Unix(0, 0), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(cred.EncryptedToken) != 611 {
		t.Fatalf("maximal token is %d bytes", len(cred.EncryptedToken))
	}
	if c, err := v.VerifyForAt(cred, maxActor, time.Unix(0, 0)); err != nil || c.Actor != maxActor {
		t.Fatal(c, err)
	}
}

func TestIssuerKeyAccessorsCopy(t *testing.T) {
	iss, v := setup(t)
	iss.PrivateKey()[0] ^= 1
	iss.PublicKey()[0] ^= 1
	if _, err := v.VerifyAt(issue(t, iss, alice, t0, time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	if iss.KeyID() != 5 || !iss.PrivateKey().Public().(ed25519.PublicKey).Equal(iss.PublicKey()) {
		t.Fatal("accessors disagree")
	}
}

// Nothing meant for logs prints token bytes.
func TestStringsDoNotLeakTheToken(t *testing.T) {
	iss, v := setup(t)
	cred, claims, _ := iss.IssueAt(alice, t0, time.Hour)
	tok := cred.EncryptedToken
	sig := tok[len(tok)-ed25519.SignatureSize:]
	secrets := []string{
		string(sig), hex.EncodeToString(sig), base64.StdEncoding.EncodeToString(sig)[:20],
		base64.RawURLEncoding.EncodeToString(sig)[:20], auth.EncodeHeader(cred)[20:60], fmt.Sprint(sig[:8])[1:20],
	}
	_, wrong := v.VerifyForAt(cred, protocol.ActorID{Realm: 1}, t0)
	_, expired := v.VerifyAt(cred, t0.Add(time.Hour))
	for _, s := range []string{claims.String(), fmt.Sprint(claims), fmt.Sprintf("%v", wrong), fmt.Sprintf("%+v", expired), wrong.(fmt.Stringer).String()} {
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Fatalf("%q leaks token bytes %q", s, secret)
			}
		}
	}
	want := "acme:alice@3.42 (key id 5, issued 2027-01-15T08:00:00Z, expires 2027-01-15T09:00:00Z)"
	if claims.String() != want {
		t.Fatalf("Claims.String() = %q, want %q", claims.String(), want)
	}
}

func TestHeaderRoundTrip(t *testing.T) {
	iss, v := setup(t)
	cred := issue(t, iss, alice, t0, time.Hour)
	h := auth.EncodeHeader(cred)
	if strings.ContainsAny(h, "+/=\r\n ") || len(h) > auth.MaxHeaderLen {
		t.Fatalf("header %d bytes, not unpadded base64url", len(h))
	}
	if h != auth.EncodeHeader(cred) {
		t.Fatal("EncodeHeader is not deterministic")
	}
	got, err := auth.DecodeHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, cred) {
		t.Fatal("header round trip changed the credential")
	}
	if _, err := v.VerifyForAt(got, alice, t0); err != nil {
		t.Fatal(err)
	}
	// The largest possible credential fits comfortably.
	big := protocol.ActorID{Realm: ^uint32(0), Serial: ^uint64(0), Manufacturer: strings.Repeat("m", 255), Name: strings.Repeat("n", 255)}
	bigCred := issue(t, iss, big, t0, time.Hour)
	bigCred.TokenKeyId = proto.Uint32(^uint32(0))
	if n := len(auth.EncodeHeader(bigCred)); n > 1000 {
		t.Fatalf("largest header is %d bytes", n)
	}
}

func TestHeaderRefusals(t *testing.T) {
	good := auth.EncodeHeader(&protocol.AIdCredential{EncryptedToken: []byte("xyz"), TokenKeyId: proto.Uint32(1)})
	for _, bad := range []string{
		"!!!",
		good + "=",                               // padding
		good[:4] + "\n" + good[4:],               // line break (base64 would skip it)
		good[:4] + " " + good[4:],                // space
		good[:2] + "+" + good[3:],                // standard alphabet
		"A",                                      // impossible length
		"AB",                                     // non-canonical: trailing bits set
		"_w",                                     // 0xff: not a protobuf message
		"CgUB",                                   // bytes field of length 5 holding 1 byte
		strings.Repeat("A", auth.MaxHeaderLen+1), // oversize, though valid base64
		strings.Repeat("\xff", auth.MaxHeaderLen+1),
	} {
		_, err := auth.DecodeHeader(bad)
		wantRefusal(t, err, auth.ErrMalformed)
	}
	// An empty header is a well-formed empty credential; verification
	// refuses it.
	cred, err := auth.DecodeHeader("")
	if err != nil {
		t.Fatal(err)
	}
	_, v := setup(t)
	_, err = v.Verify(cred)
	wantRefusal(t, err, auth.ErrMalformed)
}

// Verify runs concurrently with key rotation and clock-skew changes; run
// with -race.
func TestVerifierConcurrentWithKeyRotation(t *testing.T) {
	iss, v := setup(t)
	next, _ := auth.GenerateIssuer(6)
	cred := issue(t, iss, alice, t0, time.Hour)
	cred6 := issue(t, next, alice, t0, time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 300 {
				for _, c := range []*protocol.AIdCredential{cred, cred6} {
					_, err := v.VerifyForAt(c, alice, t0)
					if err != nil && !errors.Is(err, auth.ErrUnknownKey) {
						t.Errorf("Verify: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 300 {
			v.RemoveKey(5)
			if err := v.AddKey(6, next.PublicKey()); err != nil {
				t.Error(err)
			}
			v.SetClockSkew(time.Duration(i) * time.Second)
			if err := v.AddKey(5, iss.PublicKey()); err != nil {
				t.Error(err)
			}
			v.RemoveKey(6)
		}
	})
	wg.Wait()
	if _, err := v.VerifyAt(cred, t0); err != nil {
		t.Fatal(err)
	}
	_, err := v.VerifyAt(cred6, t0)
	wantRefusal(t, err, auth.ErrUnknownKey)
}

func BenchmarkVerify(b *testing.B) {
	iss, v := setup(b)
	cred := issue(b, iss, alice, t0, time.Hour)
	for b.Loop() {
		if _, err := v.VerifyForAt(cred, alice, t0); err != nil {
			b.Fatal(err)
		}
	}
}
