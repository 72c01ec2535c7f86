package signaling_test

import (
	"net/http"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

func TestRelayConfinedToRealmAndCredentialsChecked(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	b := dial(t, ctx, ts.url, typeB, 1)
	other := dial(t, ctx, ts.url, typeB, 2)

	if err := a.SendIceCandidate(other.ID(), nil); err != nil {
		t.Fatal(err)
	}
	select {
	case ref := <-a.Refusals():
		if ref.Err.Code != signaling.CodeForbidden {
			t.Fatalf("cross-realm relay: %+v", ref)
		}
	case <-ctx.Done():
		t.Fatal("cross-realm relay not refused")
	}

	forger, _ := auth.GenerateIssuer(1)
	forged, _, _ := forger.Issue(a.ID(), time.Hour)
	expired, _, _ := ts.iss.IssueAt(a.ID(), time.Now().Add(-2*time.Hour), time.Hour)
	tampered := proto2Clone(a.Credential())
	tampered.Claims[len(tampered.Claims)-1] ^= 0x01
	someoneElse := b.Credential()
	for name, cred := range map[string]*protocol.AIdCredential{
		"forged": forged, "expired": expired, "tampered": tampered, "mismatched source": someoneElse, "none": nil,
	} {
		t.Run(name, func(t *testing.T) {
			r := rawDial(t, ctx, ts.url, nil)
			id, err := r.send(ctx, relayEnv(a.ID(), cred, b.ID()))
			if err != nil {
				t.Fatal(err)
			}
			ans, err := r.answer(ctx, id)
			if err != nil || ans.GetEnvelopeError().GetCode() != signaling.CodeUnauthorized {
				t.Fatalf("answer %v, %v; want 401", ans, err)
			}
		})
	}
	select {
	case r := <-b.Relays():
		t.Fatalf("a refused relay was delivered: %+v", r)
	default:
	}
	// A connection that speaks for A cannot speak for B, even with B's credential.
	r := rawDial(t, ctx, ts.url, nil)
	resume := pingEnv(a.ID(), a.Credential())
	_, proof, err := a.Prove(ts.srv.ProofAudience())
	if err != nil {
		t.Fatal(err)
	}
	resume.GetActrToServer().Proof = proof
	id, _ := r.send(ctx, resume)
	if ans, err := r.answer(ctx, id); err != nil || ans.GetServerToActr().GetPong() == nil {
		t.Fatalf("resume as A: %v %v", ans, err)
	}
	id, _ = r.send(ctx, pingEnv(b.ID(), b.Credential()))
	if ans, err := r.answer(ctx, id); err != nil || ans.GetEnvelopeError().GetCode() != signaling.CodeUnauthorized {
		t.Fatalf("switching actors on one connection: %v %v", ans, err)
	}
}

func TestMalformedEnvelopesGetErrorsAndConnectionSurvives(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	r := rawDial(t, ctx, ts.url, nil)
	for _, b := range [][]byte{{0xff, 0xff}, {0x12, 0x01}, {}} {
		if err := r.c.Write(ctx, cws.MessageBinary, b); err != nil {
			t.Fatal(err)
		}
		_, data, err := r.c.Read(ctx)
		if err != nil || len(data) == 0 {
			t.Fatalf("no error envelope for %x: %v", b, err)
		}
	}
	if err := r.c.Write(ctx, cws.MessageText, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.c.Read(ctx); err != nil {
		t.Fatal(err)
	}
	// Still usable: a registration works on the same connection. (It
	// registers an actor of its own: speaking for another client's actor
	// would take that actor's binding, and lose it again when that client
	// reconnects.)
	id, _ := r.send(ctx, &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
		Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: &protocol.RegisterRequest{
			ActrType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("raw")},
			Realm:    &protocol.Realm{RealmId: proto.Uint32(1)}}}}}})
	if ans, err := r.answer(ctx, id); err != nil || ans.GetServerToActr().GetRegisterResponse().GetSuccess() == nil {
		t.Fatalf("after malformed input: %v %v", ans, err)
	}
	if ts.srv.Counters().Malformed.Load() < 4 {
		t.Fatalf("malformed counted %d", ts.srv.Counters().Malformed.Load())
	}
	// Over the size limit: the connection is closed.
	big := make([]byte, 70<<10)
	_ = r.c.Write(ctx, cws.MessageBinary, big)
	for {
		if _, _, err := r.c.Read(ctx); err != nil {
			if cws.CloseStatus(err) != cws.StatusMessageTooBig {
				t.Fatalf("oversize envelope: %v", err)
			}
			break
		}
	}
}

// A flooding connection is rate-limited, answered 429 and counted, but not
// closed (rate limits slow, they do not disconnect: see the H8 rule); a
// well-behaved client's pings keep being answered.
func TestFloodingClientIsLimitedNotClosedOthersUnaffected(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{RateLimit: 50, RateBurst: 50, MaxViolations: 20}, "")
	good := dial(t, ctx, ts.url, typeA, 1)
	flooder := dial(t, ctx, ts.url, typeB, 1)
	r := rawDial(t, ctx, ts.url, http.Header{})
	env := pingEnv(flooder.ID(), flooder.Credential())
	_, proof, err := flooder.Prove(ts.srv.ProofAudience())
	if err != nil {
		t.Fatal(err)
	}
	env.GetActrToServer().Proof = proof // the first ping proves the connection; the rest need not
	_ = flooder.Close()                 // the raw connection floods in its name; the client must not resume and displace it
	const flood = 500
	start := time.Now()
	go func() {
		for range flood {
			if _, err := r.send(ctx, env); err != nil {
				return
			}
		}
		// A marker answered 400 after the flood's answers: an envelope
		// without an id is refused before any rate limit, and the server's
		// own answers have room kept for them.
		_ = r.c.Write(ctx, cws.MessageBinary, nil)
	}()
	pongs, limited := 0, 0
	for {
		_, b, err := r.c.Read(ctx)
		if err != nil {
			t.Fatalf("flooder's connection ended after %d pongs, %d refusals: %v", pongs, limited, err)
		}
		var ans protocol.SignalingEnvelope
		if err := proto.Unmarshal(b, &ans); err != nil {
			t.Fatal(err)
		}
		if ans.GetEnvelopeError().GetCode() == signaling.CodeBadRequest {
			break
		}
		switch {
		case ans.GetServerToActr().GetPong() != nil:
			pongs++
		case ans.GetEnvelopeError().GetCode() == signaling.CodeRateLimited:
			limited++
		default:
			t.Fatalf("unexpected answer %v", &ans)
		}
	}
	// The burst, plus what 50/s refilled while the flood lasted.
	if max := 50 + int(50*time.Since(start).Seconds()) + 1; pongs > max || pongs+limited+int(ts.srv.Counters().Dropped.Load()) != flood {
		t.Fatalf("%d pongs, %d refusals, %d dropped answers for %d pings at 50/s", pongs, limited, ts.srv.Counters().Dropped.Load(), flood)
	}
	for range 5 {
		if err := good.Ping(ctx); err != nil {
			t.Fatalf("well-behaved ping during the flood: %v", err)
		}
	}
	c := ts.srv.Counters()
	if limited == 0 || c.RateLimited.Load() == 0 || c.AbuseClosed.Load() != 0 || c.Disconnected(signaling.DisconnectSendBudget) != 0 {
		t.Fatalf("refused %d (counted %d), abuse closed %d, send-budget closed %d", limited, c.RateLimited.Load(), c.AbuseClosed.Load(), c.Disconnected(signaling.DisconnectSendBudget))
	}
}

func proto2Clone(c *protocol.AIdCredential) *protocol.AIdCredential {
	return &protocol.AIdCredential{KeyId: c.KeyId, Claims: append([]byte(nil), c.Claims...), Signature: append([]byte(nil), c.Signature...)}
}
