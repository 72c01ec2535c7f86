package node_test

import (
	"context"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/wire/websocket"
)

// recordingGate is a malicious gate: a plain HTTP server that records the
// handshake headers of whoever dials it and refuses them.
func recordingGate(t *testing.T) (url string, got <-chan http.Header) {
	t.Helper()
	ch := make(chan http.Header, 16)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case ch <- r.Header.Clone():
		default:
		}
		http.Error(w, "recorded", http.StatusServiceUnavailable)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return "ws://" + ln.Addr().String() + "/actr/{actor_id}", ch
}

// metricValue reads one sample of a gathered metric family.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if v, ok := labels[l.GetName()]; ok && v != l.GetValue() {
					continue next
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no %s%v", name, labels)
	return 0
}

// The measured attack, issue 21: a malicious gate records what a node
// presents when it dials it, and replays it to the real gate of another
// node and to the signaling server (resume, renew, relay, unregister).
// Every replay is refused and counted, and the counters are exported.
func TestReplayOfWhatANodePresentsIsRefusedEverywhere(t *testing.T) {
	ctx := guard(t)
	iss, err := auth.GenerateIssuer(1)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close(); _ = srv.Close() })
	sigURL := ln.URL()

	evilURL, recorded := recordingGate(t)
	// The attacker is a registered actor whose gate is the recording one.
	mallory, err := signaling.Dial(ctx, signaling.ClientConfig{URL: sigURL, Type: signaling.ActorType{Manufacturer: "evil", Name: "mallory"}, Realm: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mallory.Close() })
	bob := start(t, ctx, node.Config{SignalingURL: sigURL, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "bob"},
		WSListen: "127.0.0.1:0", DisableWebRTC: true})
	victim := start(t, ctx, node.Config{SignalingURL: sigURL, Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "victim"},
		WSURLTemplate: evilURL, DisableWebRTC: true})

	sendCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	go func() { _ = victim.Send(sendCtx, mallory.ID(), protocol.RPCReliable, []byte("hi")) }()
	var h http.Header
	select {
	case h = <-recorded:
	case <-ctx.Done():
		t.Fatal("the victim never dialled the malicious gate")
	}
	cancel()
	if src, err := websocket.ParseActorHeader(h.Get(websocket.HeaderSourceID)); err != nil || src != victim.ID() ||
		h.Get(websocket.HeaderSourceID) != websocket.EncodeActorHeader(victim.ID()) {
		t.Fatalf("X-Actr-Source-ID %q is not actr's hex form of %s (%v)", h.Get(websocket.HeaderSourceID), victim.ID(), err)
	}
	cred, err := auth.DecodeHeader(h.Get(websocket.HeaderCredential))
	if err != nil {
		t.Fatal(err)
	}
	proof, err := auth.DecodeProofHeader(h.Get(websocket.HeaderProof))
	if err != nil || proof.GetBody() == nil {
		t.Fatalf("the victim presented no proof: %v", err)
	}

	// (a) Replayed to bob's gate: as captured it names mallory as its
	// target (404); with the target rewritten to bob, or with no target,
	// with the proof or without: 401 each time.
	gc := bob.Gate().Counters()
	replay := func(edit func(http.Header)) int {
		hh := h.Clone()
		for _, k := range []string{"Upgrade", "Connection", "Sec-Websocket-Key", "Sec-Websocket-Version", "Sec-Websocket-Extensions"} {
			hh.Del(k)
		}
		edit(hh)
		c, resp, err := cws.Dial(ctx, bob.GateURL(), &cws.DialOptions{HTTPHeader: hh})
		if err == nil {
			_ = c.CloseNow()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatal(err)
		}
		return resp.StatusCode
	}
	if status := replay(func(http.Header) {}); status != http.StatusNotFound {
		t.Errorf("replay to bob's gate as captured: %d, want 404", status)
	}
	toBob := func(hh http.Header) { hh.Set(websocket.HeaderTargetID, websocket.EncodeActorHeader(bob.ID())) }
	for name, edit := range map[string]func(http.Header){
		"target rewritten":           toBob,
		"target rewritten, no proof": func(hh http.Header) { toBob(hh); hh.Del(websocket.HeaderProof) },
		"no target":                  func(hh http.Header) { hh.Del(websocket.HeaderTargetID) },
		"no target, source in our text form": func(hh http.Header) {
			hh.Del(websocket.HeaderTargetID)
			hh.Set(websocket.HeaderSourceID, victim.ID().String())
		},
	} {
		if status := replay(edit); status != http.StatusUnauthorized {
			t.Errorf("replay to bob's gate, %s: %d, want 401", name, status)
		}
	}
	if n := gc.RejectedProof.Load(); n != 4 {
		t.Errorf("bob's gate counted %d proof refusals, want 4", n)
	}

	// (b) Replayed to signaling on fresh connections: resume (a ping),
	// renew, relay and unregister, each with the captured credential and
	// proof, and without the proof.
	sc := srv.Counters()
	before := sc.ProofRefused.Load()
	src := victim.ID().Proto()
	envs := map[string]func(*protocol.ProofOfPossession) *protocol.SignalingEnvelope{
		"resume": func(p *protocol.ProofOfPossession) *protocol.SignalingEnvelope {
			return actorEnv(&protocol.ActrToSignaling{Source: src, Credential: cred, Proof: p, Payload: &protocol.ActrToSignaling_Ping{Ping: &protocol.Ping{}}})
		},
		"renew": func(p *protocol.ProofOfPossession) *protocol.SignalingEnvelope {
			return actorEnv(&protocol.ActrToSignaling{Source: src, Credential: cred, Proof: p, Payload: &protocol.ActrToSignaling_CredentialRenewal{
				CredentialRenewal: &protocol.CredentialUpdateRequest{}}})
		},
		"unregister": func(p *protocol.ProofOfPossession) *protocol.SignalingEnvelope {
			return actorEnv(&protocol.ActrToSignaling{Source: src, Credential: cred, Proof: p, Payload: &protocol.ActrToSignaling_UnregisterRequest{
				UnregisterRequest: &protocol.UnregisterRequest{ActrId: src}}})
		},
		"relay": func(p *protocol.ProofOfPossession) *protocol.SignalingEnvelope {
			return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
				Source: src, Credential: cred, Proof: p, Target: bob.ID().Proto(),
				Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: &protocol.IceCandidate{}}}}}
		},
	}
	for name, env := range envs {
		for _, p := range []*protocol.ProofOfPossession{proof, nil} {
			if code := signalingAnswer(t, ctx, sigURL, env(p)); code != signaling.CodeUnauthorized {
				t.Errorf("%s at signaling (proof %v): answered %d, want 401", name, p != nil, code)
			}
		}
	}
	// And at actr's signaling socket, the identity in the query string,
	// with the captured proof and without it: refused before the upgrade.
	for _, p := range []*protocol.ProofOfPossession{proof, nil} {
		q := url.Values{}
		q.Set(signaling.QueryActorID, victim.ID().ActrString())
		q.Set(signaling.QueryKeyID, strconv.FormatUint(uint64(cred.GetKeyId()), 10))
		q.Set(signaling.QueryClaims, base64.StdEncoding.EncodeToString(cred.GetClaims()))
		q.Set(signaling.QuerySignature, base64.StdEncoding.EncodeToString(cred.GetSignature()))
		if p != nil {
			b, _ := proto.Marshal(p)
			q.Set(signaling.QueryProof, base64.StdEncoding.EncodeToString(b))
		}
		_, resp, err := cws.Dial(ctx, strings.TrimSuffix(sigURL, "/")+signaling.SocketPath+"?"+q.Encode(), nil)
		if err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("replay at the query socket (proof %v): %v %v, want 401", p != nil, resp, err)
		}
	}
	if n := sc.ProofRefused.Load() - before; n != 10 {
		t.Errorf("signaling counted %d proof refusals, want 10", n)
	}
	if !victim.Signaling().Connected() || srv.Online(victim.ID()) != true {
		t.Fatal("the victim was displaced by a replay")
	}

	// A proof made for bob's gate is good there once.
	_, forBob, err := victim.Signaling().Prove(auth.GateAudience(bob.ID()))
	if err != nil {
		t.Fatal(err)
	}
	withProof := func(hh http.Header) { toBob(hh); hh.Set(websocket.HeaderProof, auth.EncodeProofHeader(forBob)) }
	if status := replay(withProof); status != http.StatusSwitchingProtocols {
		t.Fatalf("the victim's own proof for bob: %d", status)
	}
	if status := replay(withProof); status != http.StatusUnauthorized || gc.RejectedReplay.Load() != 1 {
		t.Fatalf("the same proof again: %d, %d replays counted", status, gc.RejectedReplay.Load())
	}

	// The refusals are exported.
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg, metrics.Sources{Signaling: srv, WebSocket: map[string]*websocket.Counters{"gate": gc}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if v := metricValue(t, reg, "actr_websocket_auth_refusals_total", map[string]string{"role": "gate", "reason": "proof"}); v != 4 {
		t.Errorf("gate proof refusals exported: %v", v)
	}
	if v := metricValue(t, reg, "actr_websocket_auth_refusals_total", map[string]string{"role": "gate", "reason": "replay"}); v != 1 {
		t.Errorf("gate replay refusals exported: %v", v)
	}
	if v := metricValue(t, reg, "actr_signaling_credential_refusals_total", map[string]string{"reason": "proof"}); v < 10 {
		t.Errorf("signaling proof refusals exported: %v", v)
	}
}

func actorEnv(m *protocol.ActrToSignaling) *protocol.SignalingEnvelope {
	return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: m}}
}

// signalingAnswer sends env on a new connection and returns the code of
// the server's refusal (0 if it did not refuse).
func signalingAnswer(t *testing.T, ctx context.Context, url string, env *protocol.SignalingEnvelope) uint32 {
	t.Helper()
	c, _, err := cws.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	env.EnvelopeId = proto.String("replay")
	env.EnvelopeVersion = proto.Uint32(protocol.EnvelopeVersion)
	b, _ := proto.Marshal(env)
	if err := c.Write(ctx, cws.MessageBinary, b); err != nil {
		t.Fatal(err)
	}
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var ans protocol.SignalingEnvelope
		if err := proto.Unmarshal(data, &ans); err != nil {
			t.Fatal(err)
		}
		if ans.GetReplyFor() != "replay" {
			continue
		}
		if e := ans.GetEnvelopeError(); e != nil {
			return e.GetCode()
		}
		if e := ans.GetServerToActr().GetError(); e != nil {
			return e.GetCode()
		}
		if !strings.Contains(ans.String(), "error") {
			return 0
		}
	}
}
