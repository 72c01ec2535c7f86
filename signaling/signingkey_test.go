package signaling_test

import (
	"errors"
	"testing"

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
