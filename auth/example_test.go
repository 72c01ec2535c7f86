package auth_test

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/protocol"
)

func ExampleIssuer() {
	// In production: auth.LoadOrCreateIssuer("/var/lib/actr/issuer.key", 1).
	issuer, err := auth.GenerateIssuer(1)
	if err != nil {
		panic(err)
	}
	echo := protocol.MustParseActorID("acme:echo:1.0@1.42")
	issuedAt := time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)
	cred, claims, err := issuer.IssueAt(echo, issuedAt, time.Hour) // Issue uses time.Now
	if err != nil {
		panic(err)
	}
	fmt.Println(claims)
	fmt.Println("key id:", cred.GetKeyId())
	fmt.Println("claims bytes:", len(cred.GetClaims()), "signature bytes:", len(cred.GetSignature()))
	// Output:
	// acme:echo:1.0@1.42 (key id 1, bearer, issued 2027-01-15T08:00:00Z, expires 2027-01-15T09:00:00Z)
	// key id: 1
	// claims bytes: 35 signature bytes: 64
}

func ExampleVerifier_VerifyFor() {
	issuer, _ := auth.GenerateIssuer(1)
	echo := protocol.MustParseActorID("acme:echo:1.0@1.42")
	cred, _, _ := issuer.Issue(echo, time.Hour)

	// A gate knows the issuer's public key, and the id the peer claims
	// (X-Actr-Source-ID) and its credential (X-Actr-Credential).
	verifier := auth.NewVerifier(map[uint32]ed25519.PublicKey{issuer.KeyID(): issuer.PublicKey()})
	header := auth.EncodeHeader(cred)

	received, err := auth.DecodeHeader(header)
	if err != nil {
		panic(err)
	}
	claims, err := verifier.VerifyFor(received, echo)
	fmt.Println("as echo:", claims.Actor, err)

	// Someone replaying echo's credential under another name is refused.
	_, err = verifier.VerifyFor(received, protocol.MustParseActorID("acme:echo:1.0@1.43"))
	fmt.Println("as another actor:", errors.Is(err, auth.ErrWrongActor))

	// After the key is removed (rotation), its credentials are refused.
	verifier.RemoveKey(1)
	_, err = verifier.VerifyFor(received, echo)
	fmt.Println(err)
	// Output:
	// as echo: acme:echo:1.0@1.42 <nil>
	// as another actor: true
	// auth: credential signed with an unknown key (key id 1, actor acme:echo:1.0@1.42): the issuer's public key is not configured on this verifier: add key id 1 (or, if that key was retired, obtain a new credential)
}
