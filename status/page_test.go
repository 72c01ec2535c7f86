package status_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/status"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/transport/transporttest"
)

// An ordinary exit of the peer is not a failure; a real fault is, in a
// few words, with the chain kept for who wants it.
func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err     error
		outcome status.Outcome
		summary string
	}{
		{nil, status.OutcomeNone, ""},
		{fmt.Errorf("%w: websocket wire 2 went down: %w: x closed the connection: failed to get reader: received close frame: status = StatusNormalClosure", transport.ErrWireClosed, transport.ErrWireClosed), status.OutcomePeerLeft, "the peer closed the connection"},
		{fmt.Errorf("%w: reading data channel: abort chunk: user initiated abort: (User Initiated Abort: )", transport.ErrWireClosed), status.OutcomePeerLeft, "the peer closed the connection"},
		{fmt.Errorf("sending: %w", transport.ErrStalled), status.OutcomeProblem, "the peer stopped reading"},
		{errors.New("webrtc: dial: ice: connect: connection refused"), status.OutcomeProblem, "connection refused"},
	} {
		summary, outcome := status.Describe(tc.err)
		if summary != tc.summary || outcome != tc.outcome {
			t.Errorf("Describe(%v) = %q, %q; want %q, %q", tc.err, summary, outcome, tc.summary, tc.outcome)
		}
	}
}

// The node page has what an operator looks for: the signaling state,
// uptime, gate, per-lane traffic, links to /metrics and the JSON, and it
// updates in place (a script, not a meta refresh that resets scrolling).
func TestNodePageFields(t *testing.T) {
	ctx := t.Context()
	net := transporttest.NewNetwork()
	mgr, err := transport.NewOutprocManager(local, transporttest.NewBuilder(net, local), transport.WithSendStats())
	if err != nil {
		t.Fatal(err)
	}
	defer mgr.Close()
	rec := status.NewRecorder(mgr, 0)
	defer rec.Close()
	for range 3 {
		if err := mgr.Send(ctx, peer(1), protocol.RPCReliable, []byte("hello")); err != nil {
			t.Fatal(err)
		}
	}
	expiry := time.Now().Add(time.Hour)
	srv := httptest.NewServer(status.NewHandler(mgr, rec, status.Options{
		Started: time.Now().Add(-90 * time.Second), GateURL: "ws://127.0.0.1:9001/actr/{actor_id}",
		Signaling: func() status.SignalingState {
			return status.SignalingState{URL: "ws://127.0.0.1:7000/", Connected: true, CredentialExpiry: expiry}
		},
		Links: []status.Link{{Name: "metrics", URL: "/metrics"}},
	}))
	defer srv.Close()
	var snap status.Snapshot
	if err := json.Unmarshal([]byte(get(t, srv.URL+"/?format=json")), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.Signaling == nil || !snap.Signaling.Connected || snap.Signaling.URL != "ws://127.0.0.1:7000/" || snap.UptimeSeconds < 90 ||
		snap.GateURL == "" || snap.Latency == "" || len(snap.Links) != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
	// A row per payload type and wire: the fabric's two wires may both
	// have carried some, whichever was ready first.
	var msgs, bytes uint64
	for _, r := range snap.Traffic {
		if r.PayloadType != "RPC_RELIABLE" {
			t.Fatalf("traffic %+v: only RPC_RELIABLE was sent", snap.Traffic)
		}
		msgs, bytes = msgs+uint64(r.Messages), bytes+uint64(r.Bytes)
	}
	if msgs != 3 || bytes != 15 {
		t.Fatalf("traffic %+v: want 3 messages, 15 bytes in all", snap.Traffic)
	}
	html := get(t, srv.URL+"/")
	for _, want := range []string{"signaling connected", "up 1m3", "ws://127.0.0.1:9001/actr/{actor_id}", `href="/metrics"`, `href="?format=json"`,
		"RPC_RELIABLE", "msg/s", "Latency: not measured", "fetch(location.href", `id="live"`} {
		if !strings.Contains(html, want) {
			t.Fatalf("the page lacks %q:\n%s", want, html)
		}
	}
	if strings.Contains(strings.ReplaceAll(html, `<noscript><meta http-equiv="refresh" content="5"></noscript>`, ""), `http-equiv="refresh"`) {
		t.Fatal("the page reloads itself with scripts on (a meta refresh resets scrolling)")
	}
}

// The signaling server's page: realms, actors online, connections,
// relays/s, refusals.
func TestSignalingPage(t *testing.T) {
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, Realms: map[uint32]signaling.RegistrationPolicy{1: {Open: true}, 2: {Secret: "two"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx := t.Context()
	for _, realm := range []uint32{1, 1, 2} {
		c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ln.URL(), Realm: realm, Type: signaling.ActorType{Manufacturer: "acme", Name: "x"}, RealmSecret: "two"})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	if _, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ln.URL(), Realm: 2, Type: signaling.ActorType{Manufacturer: "acme", Name: "x"}}); err == nil {
		t.Fatal("registered in realm 2 without its secret")
	}
	page := status.NewSignalingPage(srv, status.SignalingOptions{URL: ln.URL(), Policy: "per realm",
		RealmPolicy: func(r uint32) string { return map[uint32]string{1: "open", 2: "its secret"}[r] },
		Links:       []status.Link{{Name: "metrics", URL: "/metrics"}}})
	defer page.Close()
	hs := httptest.NewServer(page)
	defer hs.Close()
	var snap status.SignalingSnapshot
	if err := json.Unmarshal([]byte(get(t, hs.URL+"/?format=json")), &snap); err != nil {
		t.Fatal(err)
	}
	if snap.ActorsOnline != 3 || len(snap.Realms) != 2 || snap.Realms[0].Online != 2 || snap.Realms[1].Online != 1 || snap.Realms[1].Policy != "its secret" ||
		snap.OpenConnections < 3 || snap.Counters["registrations"] != 3 {
		t.Fatalf("snapshot %+v", snap)
	}
	var secret uint64
	for _, r := range snap.Refusals {
		if r.Reason == "secret" {
			secret = r.Count
		}
	}
	if secret != 1 {
		t.Fatalf("refusals %+v, want one for the secret", snap.Refusals)
	}
	html := get(t, hs.URL+"/")
	for _, want := range []string{"actors online", "connections open", "relays /s", "Refusals", "Realms", "its secret", `href="/metrics"`, "fetch(location.href"} {
		if !strings.Contains(html, want) {
			t.Fatalf("the page lacks %q:\n%s", want, html)
		}
	}
}
