package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/signaling"
)

func runSignal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("signal", "actr signal [--listen ADDR] [--key FILE] [--policy open|secret --secret-file FILE [--secret-realms LIST]] [--tls-cert FILE --tls-key FILE]", stderr)
	listen := f.String("listen", "127.0.0.1:7000", "address to listen on")
	keyFile := f.String("key", "actr-signal.key", "the credential-signing key; generated (mode 0600) on first run, reused after")
	keyID := f.Uint("key-id", 1, "key id of a newly generated key")
	policy := f.String("policy", "open", "registration policy: open (anyone may register in any realm) or secret (a realm admits only its own secret, see --secret-file)")
	secretFile := f.String("secret-file", "", "for --policy secret: a file of realm=secret lines, one per realm, or holding one plain secret (or set ACTR_REALM_SECRET)")
	secretRealms := f.String("secret-realms", "1", "the realms a plain secret admits (comma-separated); other realms refuse registration")
	tlsCert := f.String("tls-cert", "", "TLS certificate file: serve wss:// (with --tls-key)")
	tlsKey := f.String("tls-key", "", "TLS private key file")
	heartbeat := f.Duration("heartbeat", 10*time.Second, "heartbeat interval suggested to actors; an actor silent for 3 intervals is dropped")
	ttl := f.Duration("credential-ttl", time.Hour, "lifetime of the credentials the server issues")
	metricsListen := f.String("metrics-listen", "", "serve Prometheus metrics (/metrics) on this address")
	lim := limitFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	lim.apply()
	log, _ := f.logger()

	var secret string
	if *policy == "secret" {
		var err error
		if secret, err = readSecret(*secretFile); err != nil {
			return err
		}
	}
	realms, pol, err := realmPolicies(*policy, secret, *secretRealms)
	if err != nil {
		return err
	}
	var tlsCfg *tls.Config
	if (*tlsCert == "") != (*tlsKey == "") {
		return usageError("--tls-cert and --tls-key go together")
	}
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			return fmt.Errorf("loading the TLS certificate: %w", err)
		}
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	iss, created, err := auth.LoadOrCreateIssuer(*keyFile, uint32(*keyID))
	if err != nil {
		return fmt.Errorf("the signing key: %w", err)
	}
	srv, err := signaling.NewServer(signaling.ServerConfig{Issuer: iss, Realms: realms, DefaultPolicy: pol,
		HeartbeatInterval: *heartbeat, CredentialTTL: *ttl, Logger: log, RateLimit: lim.rate, RateBurst: 2 * int(lim.rate), Limits: lim.Limits})
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := srv.Listen(*listen, tlsCfg)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	defer ln.Close()
	state := "reused"
	if created {
		state = "generated"
	}
	fmt.Fprintf(stdout, "signaling server on %s (key %d %s in %s; policy %s)\n", ln.URL(), iss.KeyID(), state, *keyFile, *policy)
	log.Info("signaling server started", "url", ln.URL(), "key_id", iss.KeyID(), "key", state)
	if *metricsListen != "" {
		o, err := startObserver(*metricsListen, metrics.Sources{Signaling: srv}, stdout, log)
		if err != nil {
			return err
		}
		defer o.close()
	}
	<-ctx.Done()
	log.Info("signaling server stopping")
	return nil
}

// readSecret reads a realm secret from path, or from ACTR_REALM_SECRET,
// never from the command line (where ps would show it).
func readSecret(path string) (string, error) {
	if path == "" {
		if s := os.Getenv("ACTR_REALM_SECRET"); s != "" {
			return s, nil
		}
		return "", usageError("a realm secret is needed: --secret-file FILE or ACTR_REALM_SECRET")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading the realm secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("the realm secret file %s is empty", path)
	}
	return s, nil
}
