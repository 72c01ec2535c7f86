package signaling_test

import (
	"bytes"
	"testing"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
	"github.com/actr-go/actr/signaling"
)

// A gate can verify the credentials a server issues with the keys the
// server publishes.
func TestFetchKeysVerifiesIssuedCredentials(t *testing.T) {
	iss, err := auth.GenerateIssuer(9)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, DefaultPolicy: signaling.RegistrationPolicy{Open: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := srv.Listen("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	keys, err := signaling.FetchKeys(t.Context(), ln.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || !bytes.Equal(keys[9], iss.PublicKey()) {
		t.Fatalf("keys %v, want key 9 of the issuer", keys)
	}
	sig, err := signaling.Dial(t.Context(), signaling.ClientConfig{URL: ln.URL(), Realm: 1, Type: signaling.ActorType{Manufacturer: "acme", Name: "k"}})
	if err != nil {
		t.Fatal(err)
	}
	defer sig.Close()
	if _, err := auth.NewVerifier(keys).VerifyFor(sig.Credential(), sig.ID()); err != nil {
		t.Fatalf("a credential the server issued does not verify with its published keys: %v", err)
	}
	other := protocol.ActorID{Realm: 1, Serial: sig.ID().Serial + 1, Manufacturer: "acme", Name: "k"}
	if _, err := auth.NewVerifier(keys).VerifyFor(sig.Credential(), other); err == nil {
		t.Fatal("the credential verified for another actor")
	}
	if _, err := signaling.FetchKeys(t.Context(), "ftp://127.0.0.1/", nil); err == nil {
		t.Fatal("FetchKeys accepted an ftp:// URL")
	}
}
