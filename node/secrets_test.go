package node_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"testing"

	pion "github.com/pion/webrtc/v4"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/node"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/signaling/signalingtest"
	"github.com/actr-go/actr/transport"
	"github.com/actr-go/actr/wire/webrtc"
)

// syncBuffer is a bytes.Buffer the log handlers of several goroutines
// write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Every layer logs at debug level into one buffer while a realm secret is
// used (and a wrong one refused), credentials are issued, presented to a
// gate and renewed, a TURN credential is configured and messages cross
// both wires: no secret appears in any line, in any encoding a log might
// use.
func TestNoSecretInAnyLogLine(t *testing.T) {
	ctx := guard(t)
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	const (
		realmSecret = "realm-secret-5f2b9c41"
		wrongSecret = "wrong-secret-77aa0e13"
		turnSecret  = "turn-credential-0c1d9e2f"
	)
	sig := signalingtest.Start(t, signaling.ServerConfig{Logger: log.With("side", "signaling"),
		Realms: map[uint32]signaling.RegistrationPolicy{1: {Secret: realmSecret}}})
	iss := sig.Issuer

	rtc := webrtc.Config{LoopbackOnly: true, Logger: log.With("side", "webrtc"),
		ICEServers: []pion.ICEServer{{URLs: []string{"turn:127.0.0.1:9?transport=udp"}, Username: "user", Credential: turnSecret}}}
	if _, err := node.Start(ctx, node.Config{SignalingURL: sig.URL, Realm: 1, RealmSecret: wrongSecret, Logger: log,
		Type: signaling.ActorType{Manufacturer: "acme", Name: "intruder"}, WebRTC: rtc}); err == nil {
		t.Fatal("a node with the wrong realm secret started")
	}
	var server *node.Node
	server = start(t, ctx, node.Config{SignalingURL: sig.URL, Realm: 1, RealmSecret: realmSecret, Logger: log.With("node", "server"),
		Type: signaling.ActorType{Manufacturer: "acme", Name: "echo"}, WSListen: "127.0.0.1:0", WebRTC: rtc, Handler: echo(&server)})
	got := make(chan transport.Message, 16)
	client := start(t, ctx, node.Config{SignalingURL: sig.URL, Realm: 1, RealmSecret: realmSecret, Logger: log.With("node", "client"),
		Type: signaling.ActorType{Manufacturer: "acme", Name: "client"}, WSURLTemplate: server.GateURLTemplate(), WebRTC: rtc,
		Handler: transport.HandlerFunc(func(_ context.Context, m transport.Message) { got <- m })})
	for _, pt := range protocol.DataPayloadTypes() {
		if err := client.Send(ctx, server.ID(), pt, []byte("ping")); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
		case <-ctx.Done():
			t.Fatalf("no echo of %s", pt)
		}
	}
	secrets := map[string]string{"realm secret": realmSecret, "refused realm secret": wrongSecret, "TURN credential": turnSecret}
	key := iss.PrivateKey()
	for name, b := range map[string][]byte{"issuer private key": key, "issuer key seed": key.Seed()} {
		secrets[name+" (hex)"] = hex.EncodeToString(b)
		secrets[name+" (base64)"] = base64.StdEncoding.EncodeToString(b)[:40]
		secrets[name+" (base64url)"] = base64.RawURLEncoding.EncodeToString(b)[:40]
	}
	credentials := func(when string) {
		for who, n := range map[string]*node.Node{"client": client, "server": server} {
			c := n.Signaling().Credential()
			who += " " + when
			secrets[who+" credential header"] = auth.EncodeHeader(c)
			tok := c.GetSignature()
			secrets[who+" token (hex)"] = hex.EncodeToString(tok)[:40]
			secrets[who+" token (base64)"] = base64.StdEncoding.EncodeToString(tok)[:40]
			secrets[who+" token (base64url)"] = base64.RawURLEncoding.EncodeToString(tok)[:40]
		}
	}
	credentials("first")
	if err := client.Signaling().RenewCredential(ctx); err != nil {
		t.Fatal(err)
	}
	credentials("renewed")
	if err := client.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := server.Close(ctx); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Count(out, "\n")
	for _, side := range []string{`"side":"signaling"`, `"layer":"signaling"`, `"layer":"websocket"`, `"layer":"transport"`, `"side":"webrtc"`} {
		if !strings.Contains(out, side) {
			t.Fatalf("no line with %s captured: that layer does not log into the buffer\n%s", side, out)
		}
	}
	if strings.Contains(out, `":{}`) {
		t.Errorf("a value was logged as an empty object (a type without LogValue):\n%s", out)
	}
	for name, s := range secrets {
		if i := strings.Index(out, s); i >= 0 {
			line := out[strings.LastIndexByte(out[:i], '\n')+1:]
			line = line[:strings.IndexByte(line, '\n')]
			t.Errorf("the %s appears in a log line: %s", name, line)
		}
	}
	t.Logf("%d log lines at debug level checked for %d secrets", lines, len(secrets))
}
