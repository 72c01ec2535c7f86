package natscluster

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// ErrMalformed is returned (wrapped) for a message from the cluster that
// does not decode.
var ErrMalformed = errors.New("natscluster: malformed cluster message")

// maxMessage bounds every message decoded from the cluster: the largest
// is a relay, bounded by a signaling envelope (64 KiB by default) with
// its JSON and base64 overhead.
const maxMessage = 256 << 10

// maxField bounds a string field (ids, server names, addresses).
const maxField = 1024

// dirEntry is a directory value.
type dirEntry struct {
	Server     string `json:"server"`
	ID         string `json:"id"`
	AnswerOnly bool   `json:"answer_only,omitempty"`
	WSAddress  string `json:"ws,omitempty"`
	Spec       []byte `json:"spec,omitempty"` // a protobuf ServiceSpec
}

func encodeActor(a signaling.ClusterActor) ([]byte, error) {
	e := dirEntry{Server: a.Server, ID: a.ID.String(), AnswerOnly: a.AnswerOnly, WSAddress: a.WSAddress}
	if a.Spec != nil {
		b, err := proto.Marshal(a.Spec)
		if err != nil {
			return nil, err
		}
		e.Spec = b
	}
	return json.Marshal(e)
}

// decodeActor decodes the directory value stored under key.
func decodeActor(key string, b []byte) (signaling.ClusterActor, error) {
	var e dirEntry
	if err := decodeJSON(b, &e); err != nil {
		return signaling.ClusterActor{}, err
	}
	if err := checkFields(e.Server, e.ID, e.WSAddress); err != nil {
		return signaling.ClusterActor{}, err
	}
	if !validName(e.Server) {
		return signaling.ClusterActor{}, fmt.Errorf("%w: server name %q", ErrMalformed, e.Server)
	}
	id, err := protocol.ParseActorID(e.ID)
	if err != nil {
		return signaling.ClusterActor{}, fmt.Errorf("%w: actor id: %v", ErrMalformed, err)
	}
	if actorKey(id) != key {
		return signaling.ClusterActor{}, fmt.Errorf("%w: entry for %s stored under another key", ErrMalformed, id)
	}
	a := signaling.ClusterActor{ID: id, Server: e.Server, AnswerOnly: e.AnswerOnly, WSAddress: e.WSAddress}
	if len(e.Spec) > 0 { // an empty spec is none, as encodeActor writes it
		a.Spec = &protocol.ServiceSpec{}
		if err := proto.Unmarshal(e.Spec, a.Spec); err != nil {
			return signaling.ClusterActor{}, fmt.Errorf("%w: service spec: %v", ErrMalformed, err)
		}
	}
	return a, nil
}

// actorKey is the directory key of id: base64url of its text form, since
// KV keys allow fewer characters than actor ids do.
func actorKey(id protocol.ActorID) string {
	return "a." + base64.RawURLEncoding.EncodeToString([]byte(id.String()))
}

// actorFromKey recovers the id a directory key names (a delete carries
// no value).
func actorFromKey(key string) (protocol.ActorID, error) {
	rest, ok := strings.CutPrefix(key, "a.")
	if !ok || len(rest) > 2*maxField {
		return protocol.ActorID{}, fmt.Errorf("%w: directory key %.64q", ErrMalformed, key)
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return protocol.ActorID{}, fmt.Errorf("%w: directory key: %v", ErrMalformed, err)
	}
	id, err := protocol.ParseActorID(string(b))
	if err != nil {
		return protocol.ActorID{}, fmt.Errorf("%w: directory key: %v", ErrMalformed, err)
	}
	return id, nil
}

// keyEntry is a signing-key value.
type keyEntry struct {
	KeyID   uint32 `json:"key_id"`
	Ed25519 []byte `json:"ed25519"`
	Server  string `json:"server"`
}

func encodeKey(k signaling.ClusterKey, server string) ([]byte, error) {
	return json.Marshal(keyEntry{KeyID: k.KeyID, Ed25519: k.Public, Server: server})
}

func decodeKey(key string, b []byte) (keyEntry, error) {
	var e keyEntry
	if err := decodeJSON(b, &e); err != nil {
		return keyEntry{}, err
	}
	if len(e.Ed25519) != ed25519.PublicKeySize {
		return keyEntry{}, fmt.Errorf("%w: key %d has %d bytes", ErrMalformed, e.KeyID, len(e.Ed25519))
	}
	if keyKey(e.KeyID) != key {
		return keyEntry{}, fmt.Errorf("%w: key %d stored under %.64q", ErrMalformed, e.KeyID, key)
	}
	if err := checkFields(e.Server); err != nil {
		return keyEntry{}, err
	}
	return e, nil
}

func keyKey(id uint32) string { return fmt.Sprintf("k.%d", id) }

// relayMsg is a relay between servers; relayAnswer its reply.
type relayMsg struct {
	ID     string `json:"id"`
	Source string `json:"source"`
	Target string `json:"target"`
	Relay  []byte `json:"relay"` // a protobuf ActrRelay
}

type relayAnswer struct {
	Code    uint32 `json:"code,omitempty"` // 0: delivered
	Message string `json:"message,omitempty"`
}

func encodeRelay(r signaling.ClusterRelay) ([]byte, error) {
	b, err := proto.Marshal(r.Relay)
	if err != nil {
		return nil, err
	}
	return json.Marshal(relayMsg{ID: r.ID, Source: r.Source.String(), Target: r.Target.String(), Relay: b})
}

func decodeRelay(b []byte) (signaling.ClusterRelay, error) {
	var m relayMsg
	if err := decodeJSON(b, &m); err != nil {
		return signaling.ClusterRelay{}, err
	}
	if err := checkFields(m.ID, m.Source, m.Target); err != nil {
		return signaling.ClusterRelay{}, err
	}
	src, err := protocol.ParseActorID(m.Source)
	if err != nil {
		return signaling.ClusterRelay{}, fmt.Errorf("%w: relay source: %v", ErrMalformed, err)
	}
	dst, err := protocol.ParseActorID(m.Target)
	if err != nil {
		return signaling.ClusterRelay{}, fmt.Errorf("%w: relay target: %v", ErrMalformed, err)
	}
	r := &protocol.ActrRelay{}
	if err := proto.Unmarshal(m.Relay, r); err != nil {
		return signaling.ClusterRelay{}, fmt.Errorf("%w: relay payload: %v", ErrMalformed, err)
	}
	return signaling.ClusterRelay{ID: m.ID, Source: src, Target: dst, Relay: r}, nil
}

func encodeAnswer(e *protocol.ErrorResponse) []byte {
	a := relayAnswer{}
	if e != nil {
		a.Code, a.Message = e.GetCode(), e.GetMessage()
		if a.Code == 0 { // an error must not read as delivered
			a.Code = signaling.CodeUnavailable
		}
	}
	b, _ := json.Marshal(a) // two plain fields: cannot fail
	return b
}

// decodeAnswer returns nil for a delivered relay.
func decodeAnswer(b []byte) (*protocol.ErrorResponse, error) {
	var a relayAnswer
	if err := decodeJSON(b, &a); err != nil {
		return nil, err
	}
	if a.Code == 0 {
		return nil, nil
	}
	if len(a.Message) > maxField {
		a.Message = a.Message[:maxField]
	}
	return &protocol.ErrorResponse{Code: proto.Uint32(a.Code), Message: proto.String(a.Message)}, nil
}

func decodeJSON(b []byte, v any) error {
	if len(b) > maxMessage {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), maxMessage)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

func checkFields(fs ...string) error {
	for _, f := range fs {
		if len(f) > maxField {
			return fmt.Errorf("%w: a field of %d bytes, at most %d", ErrMalformed, len(f), maxField)
		}
	}
	return nil
}

// validName reports whether s can be a server's name: one NATS subject
// token of safe characters.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
