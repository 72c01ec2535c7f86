package websocket_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/wire/websocket"
)

// A gate admits a holder-bound credential only with a fresh proof made for
// it, and a bearer credential only when AllowBearer says so; each refusal
// is a 401, counted by kind.
func TestGateProofsAndBearerCredentials(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{}) // its gate allows bearer credentials
	g, err := websocket.NewGate(websocket.GateConfig{Acceptor: b.mgr, Verifier: w.ver})
	if err != nil {
		t.Fatal(err)
	}
	strict, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	pub, key, _ := ed25519.GenerateKey(nil)
	bound, _, err := w.iss.IssueBoundAt(idA, pub, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	proveAt := func(skew time.Duration) websocket.ProofSource {
		return func(_ context.Context, audience string) (*protocol.AIdCredential, *protocol.ProofOfPossession, error) {
			p, err := auth.Prove(key, bound, idA, audience, time.Now().Add(skew))
			return bound, p, err
		}
	}
	dial := func(srv *websocket.Server, d *websocket.Dialer) error {
		c := d.Conn(srv.URL("/actr/"+idB.String()), idB, nil)
		err := c.Connect(ctx)
		_ = c.Close()
		if err == nil {
			waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
		}
		return err
	}
	unauthorized := func(err error) bool {
		var he *websocket.HandshakeError
		return errors.As(err, &he) && he.Status == http.StatusUnauthorized && errors.Is(err, websocket.ErrUnauthorized)
	}
	cnt := g.Counters()

	if err := dial(strict, &websocket.Dialer{Local: idA, Prove: proveAt(0)}); err != nil {
		t.Fatalf("a bound credential with a fresh proof: %v", err)
	}
	for name, skew := range map[string]time.Duration{"stale": -time.Minute, "from the future": time.Minute} {
		if err := dial(strict, &websocket.Dialer{Local: idA, Prove: proveAt(skew)}); !unauthorized(err) {
			t.Errorf("a %s proof: %v, want 401", name, err)
		}
	}
	if err := dial(strict, &websocket.Dialer{Local: idA, Credential: websocket.StaticCredential(bound)}); !unauthorized(err) {
		t.Errorf("a bound credential without a proof: %v, want 401", err)
	}
	if n := cnt.RejectedProof.Load(); n != 3 {
		t.Errorf("RejectedProof = %d, want 3", n)
	}
	bearer := &websocket.Dialer{Local: idA, Credential: websocket.StaticCredential(w.cred(t, idA))}
	if err := dial(strict, bearer); !unauthorized(err) {
		t.Errorf("a bearer credential without AllowBearer: %v, want 401", err)
	}
	if n := cnt.RejectedBearer.Load(); n != 1 || cnt.RejectedAuth.Load() != 4 || cnt.Accepted.Load() != 1 {
		t.Errorf("RejectedBearer = %d, RejectedAuth = %d, Accepted = %d; want 1, 4, 1", n, cnt.RejectedAuth.Load(), cnt.Accepted.Load())
	}
	if err := dial(b.server, bearer); err != nil {
		t.Fatalf("a bearer credential with AllowBearer: %v", err)
	}
	// With AllowBearer, a bound credential still needs its proof.
	if err := dial(b.server, &websocket.Dialer{Local: idA, Credential: websocket.StaticCredential(bound)}); !unauthorized(err) {
		t.Errorf("AllowBearer, a bound credential without a proof: %v, want 401", err)
	}
}
