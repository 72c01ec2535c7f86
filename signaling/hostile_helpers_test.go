package signaling_test

import (
	"context"
	"net/http"
	"os"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

func registerEnv(typ signaling.ActorType, realm uint32) *protocol.SignalingEnvelope {
	return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_PeerToServer{PeerToServer: &protocol.PeerToSignaling{
		Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: &protocol.RegisterRequest{
			ActrType: &protocol.ActrType{Manufacturer: proto.String(typ.Manufacturer), Name: proto.String(typ.Name)},
			Realm:    &protocol.Realm{RealmId: proto.Uint32(realm)}}}}}}
}

// rawRegister registers over a bare connection and returns it with the
// actor's id and credential; it fails the test on a refusal.
func rawRegister(t testing.TB, ctx context.Context, url string, h http.Header, typ signaling.ActorType, realm uint32) (*raw, protocol.ActorID, *protocol.AIdCredential) {
	t.Helper()
	r := rawDial(t, ctx, url, h)
	env, err := r.register(ctx, typ, realm)
	if err != nil {
		t.Fatal(err)
	}
	ok := env.GetServerToActr().GetRegisterResponse().GetSuccess()
	if ok == nil {
		t.Fatalf("registration refused: %v", env)
	}
	id, err := protocol.ActorIDFromProto(ok.GetActrId())
	if err != nil {
		t.Fatal(err)
	}
	return r, id, ok.GetCredential()
}

// register sends a register_request and returns its answer.
func (r *raw) register(ctx context.Context, typ signaling.ActorType, realm uint32) (*protocol.SignalingEnvelope, error) {
	id, err := r.send(ctx, registerEnv(typ, realm))
	if err != nil {
		return nil, err
	}
	return r.answer(ctx, id)
}

// request sends env and returns its answer.
func (r *raw) request(ctx context.Context, env *protocol.SignalingEnvelope) (*protocol.SignalingEnvelope, error) {
	id, err := r.send(ctx, env)
	if err != nil {
		return nil, err
	}
	return r.answer(ctx, id)
}

func actorEnv(src protocol.ActorID, cred *protocol.AIdCredential, m *protocol.ActrToSignaling) *protocol.SignalingEnvelope {
	m.Source, m.Credential = src.Proto(), cred
	return &protocol.SignalingEnvelope{Flow: &protocol.SignalingEnvelope_ActrToServer{ActrToServer: m}}
}

// eventually polls cond until it holds or ctx ends; for counters that no
// event announces.
func eventually(t testing.TB, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("%s: not within the deadline", what)
		case <-tick.C:
		}
	}
}

func openFDs(t testing.TB) int {
	t.Helper()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(es)
}

func bounded(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
