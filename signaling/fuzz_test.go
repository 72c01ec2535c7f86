package signaling

import (
	"crypto/ed25519"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

// FuzzServerEnvelope feeds arbitrary bytes to the server's envelope
// handling, as the first and then a later message of a connection: it must
// never panic, and it must answer every envelope it refuses.
func FuzzServerEnvelope(f *testing.F) {
	seed := func(env *protocol.SignalingEnvelope) []byte {
		b, _ := proto.Marshal(env)
		return b
	}
	f.Add(seed(&protocol.SignalingEnvelope{EnvelopeId: proto.String("1"), Flow: &protocol.SignalingEnvelope_PeerToServer{
		PeerToServer: &protocol.PeerToSignaling{Payload: &protocol.PeerToSignaling_RegisterRequest{RegisterRequest: &protocol.RegisterRequest{
			ActrType: &protocol.ActrType{Manufacturer: proto.String("acme"), Name: proto.String("x")}, Realm: &protocol.Realm{RealmId: proto.Uint32(1)}}}}}}))
	f.Add([]byte{0x12, 0x01, 'x'})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := fuzzServer(t)
		defer s.Close()
		ss := s.newSession(admission{}, nil, nil)
		for range 2 {
			before := ss.out.count()
			ok := ss.handle(data)
			if ok && ss.out.count() == before {
				// Accepted without an answer: only a relay may do that.
				var env protocol.SignalingEnvelope
				if proto.Unmarshal(data, &env) != nil || env.GetActrRelay() == nil && env.GetActrToServer().GetError() == nil {
					t.Fatalf("envelope %x accepted with no answer", data)
				}
			}
			for b, ok := ss.out.pop(); ok; b, ok = ss.out.pop() {
				ss.out.written(len(b))
			}
		}
	})
}

func fuzzServer(t testing.TB) *Server {
	iss, err := auth.NewIssuer(1, ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(ServerConfig{Issuer: iss, DefaultPolicy: RegistrationPolicy{Open: true}, PresenceTimeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
