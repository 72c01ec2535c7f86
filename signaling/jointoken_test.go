package signaling_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/actr-go/actr/signaling"
)

// A web application's backend mints a join token with the realm secret;
// a registration presenting it is admitted to the secret realm, one
// presenting a bad token is refused and counted, and the token admits
// only its own realm.
func TestHTTPRegisterJoinToken(t *testing.T) {
	ctx := guard(t)
	ts := newServer(t, signaling.ServerConfig{Realms: map[uint32]signaling.RegistrationPolicy{
		1: {Secret: "s3cret"}, 2: {Secret: "other"}}}, "")
	u := ts.httpURL(signaling.RegisterPath)
	tok, err := signaling.MintJoinToken("s3cret", 1, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set(signaling.HeaderJoinToken, tok)
	if status, _, b := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), h); status != http.StatusOK {
		t.Fatalf("join token: %d %q", status, b)
	}
	if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 2, ""), h); status != http.StatusForbidden {
		t.Fatalf("realm 1's token in realm 2: %d", status)
	}
	forged, _ := signaling.MintJoinToken("guess", 1, time.Minute)
	h.Set(signaling.HeaderJoinToken, forged)
	if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), h); status != http.StatusForbidden {
		t.Fatalf("forged token: %d", status)
	}
	long, _ := signaling.MintJoinToken("s3cret", 1, 2*time.Hour)
	h.Set(signaling.HeaderJoinToken, long)
	if status, _, _ := post(t, ctx, u, signaling.ContentTypeProtobuf, registerBody(typeA, 1, ""), h); status != http.StatusForbidden {
		t.Fatalf("token beyond MaxJoinTokenTTL: %d", status)
	}
	if n := ts.srv.Counters().Refused(signaling.RefusedJoinToken); n != 3 {
		t.Fatalf("join token refusals %d, want 3", n)
	}
}
