package signaling_test

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// get_signing_key answers with the issuer's public key by id, which
// verifies the credentials the server issued; another id is a 404.
func TestSigningKeyByID(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	a := dial(t, ctx, ts.url, typeA, 1)
	k, err := a.SigningKey(ctx, ts.iss.KeyID())
	if err != nil || !k.Equal(ts.iss.PublicKey()) {
		t.Fatalf("signing key %d: %x, %v; want the issuer's %x", ts.iss.KeyID(), k, err, ts.iss.PublicKey())
	}
	var refused *signaling.ErrorResponseError
	if _, err := a.SigningKey(ctx, ts.iss.KeyID()+1); !errors.As(err, &refused) || refused.Code != signaling.CodeNotFound {
		t.Fatalf("an unknown key id: %v, want a 404", err)
	}
}

// A service spec registered with an actor is served by name in its realm
// while the actor is registered, never across realms, and not after it
// unregistered; an over-large one is refused at registration.
func TestServiceSpecByName(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{}, "")
	spec := &protocol.ServiceSpec{Name: proto.String("echo.Echo"), Fingerprint: proto.String("sha256:ab"), PublishedAt: proto.Int64(7),
		Protobufs: []*protocol.ServiceSpec_Protobuf{{Package: proto.String("echo"), Content: proto.String("service Echo {}"), Fingerprint: proto.String("f")}}}
	server, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, Type: typeB, Realm: 1, ServiceSpec: spec})
	if err != nil {
		t.Fatal(err)
	}
	a := dial(t, ctx, ts.url, typeA, 1)
	if got, err := a.ServiceSpec(ctx, "echo.Echo"); err != nil || !proto.Equal(got, spec) {
		t.Fatalf("spec: %v, %v", got, err)
	}
	var refused *signaling.ErrorResponseError
	other := dial(t, ctx, ts.url, typeA, 2)
	if _, err := other.ServiceSpec(ctx, "echo.Echo"); !errors.As(err, &refused) || refused.Code != signaling.CodeNotFound {
		t.Fatalf("from another realm: %v, want a 404", err)
	}
	if err := server.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	_ = server.Close()
	if _, err := a.ServiceSpec(ctx, "echo.Echo"); !errors.As(err, &refused) || refused.Code != signaling.CodeNotFound {
		t.Fatalf("after the actor unregistered: %v, want a 404", err)
	}
	huge := &protocol.ServiceSpec{Name: proto.String("big.Big"), Description: proto.String(strings.Repeat("x", 20<<10))}
	if _, err := signaling.Dial(ctx, signaling.ClientConfig{URL: ts.url, Type: typeB, Realm: 1, ServiceSpec: huge}); !errors.As(err, &refused) || refused.Code != signaling.CodeTooLarge {
		t.Fatalf("registering a 20 KiB spec: %v, want a 413", err)
	}
}
