package websocket_test

import (
	"crypto/ed25519"
	"net/http"
	"net/url"
	"testing"
	"time"

	cws "github.com/coder/websocket"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/wire/websocket"
)

// A browser cannot set handshake headers: it presents its identity,
// credential and proof in the query, and its page's Origin must be one the
// gate allows (by default only the gate's own); a refused origin is a 403,
// counted.
func TestGateBrowserQueryAndOrigins(t *testing.T) {
	ctx := guard(t)
	w := newWorld(t)
	b := w.node(t, idB, nodeOpts{noListen: true})
	g, err := websocket.NewGate(websocket.GateConfig{Acceptor: b.mgr, Verifier: w.ver, AllowedOrigins: []string{"app.test:*"}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := g.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pub, key, _ := ed25519.GenerateKey(nil)
	bound, _, err := w.iss.IssueBoundAt(idA, pub, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	query := func(withProof bool) string {
		q := url.Values{}
		q.Set(websocket.QuerySourceID, websocket.EncodeActorHeader(idA))
		q.Set(websocket.QueryTargetID, websocket.EncodeActorHeader(idB))
		q.Set(websocket.QueryCredential, auth.EncodeHeader(bound))
		if withProof {
			p, err := auth.Prove(key, bound, idA, auth.GateAudience(idB), time.Now())
			if err != nil {
				t.Fatal(err)
			}
			q.Set(websocket.QueryProof, auth.EncodeProofHeader(p))
		}
		return srv.URL("/actr/"+idB.String()) + "?" + q.Encode()
	}
	dial := func(u, origin string) int {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		c, resp, err := cws.Dial(ctx, u, &cws.DialOptions{HTTPHeader: h, HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}})
		if err == nil {
			_ = c.Close(cws.StatusNormalClosure, "")
			waitFor(t, ctx, func() bool { return b.mgr.DestCount() == 0 }, b.mgr)
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return resp.StatusCode
	}
	cnt := g.Counters()
	if st := dial(query(true), "http://app.test:8080"); st != http.StatusSwitchingProtocols {
		t.Fatalf("allowed page, identity in the query: %d", st)
	}
	if st := dial(query(true), ""); st != http.StatusSwitchingProtocols {
		t.Fatalf("no Origin, identity in the query: %d", st)
	}
	if st := dial(query(false), "http://app.test:8080"); st != http.StatusUnauthorized {
		t.Fatalf("query without the proof: %d, want 401", st)
	}
	if st := dial(query(true), "http://evil.test"); st != http.StatusForbidden {
		t.Fatalf("refused page: %d, want 403", st)
	}
	if cnt.RejectedOrigin.Load() != 1 || cnt.RejectedProof.Load() != 1 || cnt.Accepted.Load() != 2 {
		t.Fatalf("RejectedOrigin %d RejectedProof %d Accepted %d; want 1, 1, 2", cnt.RejectedOrigin.Load(), cnt.RejectedProof.Load(), cnt.Accepted.Load())
	}
	// The default admits no other origin.
	def, err := websocket.NewGate(websocket.GateConfig{Acceptor: b.mgr, Verifier: w.ver})
	if err != nil {
		t.Fatal(err)
	}
	dsrv, err := def.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dsrv.Close()
	h := http.Header{}
	h.Set("Origin", "http://app.test:8080")
	if _, resp, err := cws.Dial(ctx, dsrv.URL("/actr/"+idB.String()), &cws.DialOptions{HTTPHeader: h}); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("default gate, another origin: %v", err)
	}
	if def.Counters().RejectedOrigin.Load() != 1 {
		t.Fatal("the default gate's refusal was not counted")
	}
	if _, err := websocket.NewGate(websocket.GateConfig{Acceptor: b.mgr, Verifier: w.ver, AllowedOrigins: []string{"[x-"}}); err == nil {
		t.Fatal("a malformed origin pattern was taken")
	}
}
