package natscluster

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// FuzzCodec feeds arbitrary bytes, as read from NATS, to every decoder of
// the cluster's messages: the first byte chooses the decoder, the rest is
// the message (for the bucket entries, a key and a value split at the
// first NUL). Nothing may panic, an error must be ErrMalformed, and what
// decodes must encode back to something that decodes to the same.
func FuzzCodec(f *testing.F) {
	id := protocol.ActorID{Realm: 7, Serial: 1 << 40, Manufacturer: "acme", Name: "echo", Version: "1"}
	actor, _ := encodeActor(signaling.ClusterActor{ID: id, Server: "s-1", WSAddress: "ws://127.0.0.1:9/", Spec: &protocol.ServiceSpec{Name: proto.String("echo")}})
	key, _ := encodeKey(signaling.ClusterKey{KeyID: 3, Public: make([]byte, 32)}, "s-1")
	relay, _ := encodeRelay(signaling.ClusterRelay{ID: "s-1/9", Source: id, Target: id,
		Relay: &protocol.ActrRelay{Payload: &protocol.ActrRelay_IceCandidate{IceCandidate: &protocol.IceCandidate{Candidate: proto.String("candidate:1 1 udp 1 127.0.0.1 9 typ host")}}}})
	join := func(sel byte, k string, v []byte) []byte {
		return append(append([]byte{sel}, k...), append([]byte{0}, v...)...)
	}
	f.Add(join(0, actorKey(id), actor))
	f.Add(join(0, actorKey(id), []byte(`{"server":"s 1","id":"x"}`)))
	f.Add(append([]byte{1}, actorKey(id)...))
	f.Add([]byte("\x01a.!!"))
	f.Add(join(2, keyKey(3), key))
	f.Add(join(2, keyKey(4), key))
	f.Add(append([]byte{3}, relay...))
	f.Add([]byte("\x03{\"id\":\"\",\"relay\":\"AAAA\"}"))
	f.Add(append([]byte{4}, encodeAnswer(nil)...))
	f.Add(append([]byte{4}, encodeAnswer(&protocol.ErrorResponse{Code: proto.Uint32(404), Message: proto.String("not online")})...))
	f.Add([]byte("\x04{\"code\":1e99}"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		sel, msg := in[0]%5, in[1:]
		k, v, _ := bytes.Cut(msg, []byte{0})
		check := func(err error) bool {
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("an error that is not ErrMalformed: %v", err)
			}
			return err == nil
		}
		switch sel {
		case 0:
			a, err := decodeActor(string(k), v)
			if !check(err) {
				return
			}
			b, err := encodeActor(a)
			if err != nil {
				t.Fatal(err)
			}
			again, err := decodeActor(string(k), b)
			if err != nil || again.ID != a.ID || again.Server != a.Server || again.WSAddress != a.WSAddress || !proto.Equal(again.Spec, a.Spec) {
				t.Fatalf("re-encoded entry decodes to %+v, %v; want %+v", again, err, a)
			}
		case 1:
			id, err := actorFromKey(string(msg))
			if check(err) && actorKey(id) != string(msg) {
				// Not an error: base64 has one canonical form per id, and
				// a key in another is merely never one we wrote.
				if _, err := actorFromKey(actorKey(id)); err != nil {
					t.Fatalf("the canonical key of %s does not decode: %v", id, err)
				}
			}
		case 2:
			e, err := decodeKey(string(k), v)
			if !check(err) {
				return
			}
			b, err := encodeKey(signaling.ClusterKey{KeyID: e.KeyID, Public: e.Ed25519}, e.Server)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := decodeKey(string(k), b); err != nil || again.KeyID != e.KeyID || !bytes.Equal(again.Ed25519, e.Ed25519) {
				t.Fatalf("re-encoded key decodes to %+v, %v; want %+v", again, err, e)
			}
		case 3:
			r, err := decodeRelay(msg)
			if !check(err) {
				return
			}
			b, err := encodeRelay(r)
			if err != nil {
				t.Fatal(err)
			}
			if again, err := decodeRelay(b); err != nil || again.ID != r.ID || again.Source != r.Source || again.Target != r.Target || !proto.Equal(again.Relay, r.Relay) {
				t.Fatalf("re-encoded relay decodes to %+v, %v; want %+v", again, err, r)
			}
		case 4:
			a, err := decodeAnswer(msg)
			if !check(err) {
				return
			}
			if a != nil && (a.GetCode() == 0 || len(a.GetMessage()) > maxField) {
				t.Fatalf("answer %v: an error must have a code and a bounded message", a)
			}
		}
	})
}
