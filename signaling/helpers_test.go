package signaling_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	cws "github.com/coder/websocket"
	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

func guard(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

type testServer struct {
	srv *signaling.Server
	ln  *signaling.Listener
	iss *auth.Issuer
	url string
}

func newServer(t testing.TB, cfg signaling.ServerConfig, addr string) *testServer {
	t.Helper()
	if cfg.Issuer == nil {
		iss, err := auth.GenerateIssuer(1)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Issuer = iss
	}
	if cfg.Realms == nil {
		cfg.DefaultPolicy = signaling.RegistrationPolicy{Open: true}
	}
	srv, err := signaling.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := srv.Listen(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, ln: ln, iss: cfg.Issuer, url: ln.URL()}
	t.Cleanup(ts.stop)
	return ts
}

func (ts *testServer) stop() {
	_ = ts.ln.Close()
	_ = ts.srv.Close()
}

var (
	typeA = signaling.ActorType{Manufacturer: "acme", Name: "a", Version: "1"}
	typeB = signaling.ActorType{Manufacturer: "acme", Name: "b", Version: "1"}
)

func dial(t testing.TB, ctx context.Context, url string, typ signaling.ActorType, realm uint32) *signaling.Client {
	t.Helper()
	c, err := signaling.Dial(ctx, signaling.ClientConfig{URL: url, Type: typ, Realm: realm,
		ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func waitPresence(t testing.TB, ctx context.Context, c *signaling.Client, id protocol.ActorID, up bool) {
	t.Helper()
	for {
		select {
		case ev := <-c.Presence():
			if ev.Actor == id && ev.Up == up {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no presence event %s up=%v", id, up)
		}
	}
}

func waitRelay(t testing.TB, ctx context.Context, c *signaling.Client) signaling.Relay {
	t.Helper()
	select {
	case r := <-c.Relays():
		return r
	case <-ctx.Done():
		t.Fatal("no relay arrived")
	}
	return signaling.Relay{}
}

// raw is a bare connection to the server, for sending crafted envelopes.
type raw struct {
	c *cws.Conn
	n int
}

func rawDial(t testing.TB, ctx context.Context, url string, h http.Header) *raw {
	t.Helper()
	c, _, err := cws.Dial(ctx, url, &cws.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return &raw{c: c}
}

func (r *raw) send(ctx context.Context, env *protocol.SignalingEnvelope) (string, error) {
	r.n++
	id := "raw-" + string(rune('a'+r.n%26)) + time.Now().Format("150405.000000000")
	env.EnvelopeId = proto.String(id)
	b, _ := proto.Marshal(env)
	return id, r.c.Write(ctx, cws.MessageBinary, b)
}

// answer reads until the envelope that answers id.
func (r *raw) answer(ctx context.Context, id string) (*protocol.SignalingEnvelope, error) {
	for {
		_, b, err := r.c.Read(ctx)
		if err != nil {
			return nil, err
		}
		var env protocol.SignalingEnvelope
		if err := proto.Unmarshal(b, &env); err != nil {
			return nil, err
		}
		if env.GetReplyFor() == id {
			return &env, nil
		}
	}
}

func relayEnv(src protocol.ActorID, cred *protocol.AIdCredential, dst protocol.ActorID) *protocol.SignalingEnvelope {
	return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrRelay{ActrRelay: &protocol.ActrRelay{
		Source: src.Proto(), Credential: cred, Target: dst.Proto(),
		Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: &protocol.IceCandidate{Candidate: proto.String("candidate:1")}}}}}
}

func pingEnv(src protocol.ActorID, cred *protocol.AIdCredential) *protocol.SignalingEnvelope {
	return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: &protocol.ActrToSignaling{
		Source: src.Proto(), Credential: cred, Payload: &protocol.ActrToSignaling_Ping{Ping: &protocol.Ping{}}}}}
}
