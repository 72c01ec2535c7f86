package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/actr-go/actr/signaling"
)

// runJoinToken prints a join token: what a web application's backend
// hands a page so that it registers into a secret realm without the
// realm's secret (signaling.MintJoinToken does the same in Go).
func runJoinToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("join-token", "actr join-token --realm N --secret-file FILE [--ttl 5m]", stdout, stderr)
	realm := f.Uint("realm", 1, "the realm the token admits to")
	secretFile := f.String("secret-file", "", "the realm's secret: a file of realm=secret lines or one plain secret (or set ACTR_REALM_SECRET)")
	ttl := f.Duration("ttl", 5*time.Minute, "how long the token admits registrations (the server refuses tokens expiring more than its max, 1 h by default, ahead)")
	if err := f.parse(args); err != nil {
		return err
	}
	raw, err := readSecret(*secretFile)
	if err != nil {
		return err
	}
	secret, err := secretForRealm(raw, uint32(*realm))
	if err != nil {
		return err
	}
	if *ttl <= 0 {
		return usageError("--ttl must be positive")
	}
	tok, err := signaling.MintJoinToken(secret, uint32(*realm), *ttl)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, tok)
	return err
}
