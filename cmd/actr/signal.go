package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/actr-go/actr/auth"
	"github.com/actr-go/actr/metrics"
	"github.com/actr-go/actr/signaling"
	"github.com/actr-go/actr/status"
	"github.com/actr-go/actr/turnserver"
)

func runSignal(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("signal", "actr signal [--listen ADDR] [--key FILE] [--policy open|secret --secret-file FILE [--secret-realms LIST]] [--tls-cert FILE --tls-key FILE]", stdout, stderr)
	listen := f.String("listen", "127.0.0.1:7000", "address to listen on")
	keyFile := f.String("key", "", "the credential-signing key `file`; generated (mode 0600) on first run, once the server listens, and reused after (default "+defaultKeyHelp()+")")
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
	turnf := addTURNFlags(f, "turn-", "")
	turnf.addURLFlag(f)
	allowBearer := f.Bool("allow-bearer", false, "let a connection that did not register resume, relay, renew or unregister with a bearer credential (bound to no key, as actr's own nodes have): anyone such a credential was shown to can replay it; default: only holder-bound credentials with a proof of possession")
	var origins originPatterns
	f.Var(&origins, "allow-origin", originFlagHelp("the signaling socket, registration and renewal"))
	cf := addClusterFlags(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := cf.check(); err != nil {
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
	if *keyFile == "" {
		if *keyFile, err = defaultKeyFile(); err != nil {
			return err
		}
	}
	// The key is read now if it exists, but a new one is written only once
	// the server listens: a failed start leaves nothing behind.
	iss, created, err := loadOrGenerateIssuer(*keyFile, uint32(*keyID))
	if err != nil {
		return err
	}
	turnSrv, turnCfg, err := startSignalTURN(turnf, tlsCfg, log)
	if err != nil {
		return err
	}
	if turnSrv != nil {
		defer turnSrv.Close()
	}
	scfg := signaling.ServerConfig{Issuer: iss, Realms: realms, DefaultPolicy: pol,
		HeartbeatInterval: *heartbeat, CredentialTTL: *ttl, Logger: log, RateLimit: lim.rate, RateBurst: 2 * int(lim.rate), Limits: lim.Limits,
		AllowBearer: *allowBearer, TURN: turnCfg, AllowedOrigins: origins}
	if cf.enabled() {
		backplane, err := cf.start(*keyFile, log)
		if err != nil {
			return fmt.Errorf("joining the cluster: %w", err)
		}
		defer cf.close()
		scfg.Cluster, scfg.Name = backplane, cf.audienceName()
	}
	srv, err := signaling.NewServer(scfg)
	if err != nil {
		if scfg.Cluster != nil {
			_ = scfg.Cluster.Close()
		}
		return err
	}
	defer srv.Close()
	mln, err := listenMetrics(*metricsListen)
	if err != nil {
		return err
	}
	defer func() {
		if mln != nil { // not handed to the observer
			_ = mln.Close()
		}
	}()
	ln, err := srv.Listen(*listen, tlsCfg)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", *listen, err)
	}
	defer ln.Close()
	state := "reused"
	if created {
		state = "generated"
		if err := saveNewKey(*keyFile, iss); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "signaling server on %s (key %d %s in %s; policy %s)\n", ln.URL(), iss.KeyID(), state, *keyFile, *policy)
	log.Info("signaling server started", "url", ln.URL(), "key_id", iss.KeyID(), "key", state)
	if len(turnCfg.URLs) > 0 {
		fmt.Fprintf(stdout, "ICE servers handed to actors: %s\n", strings.Join(turnCfg.URLs, " "))
	}
	if cf.enabled() {
		fmt.Fprintf(stdout, "cluster %s: this server is %s", cf.clusterName, cf.serverName)
		if cf.advertisedURL != "" {
			fmt.Fprintf(stdout, "; embedded NATS on %s", cf.advertisedURL)
		}
		fmt.Fprintln(stdout)
	}
	if mln != nil {
		ml := mln
		mln = nil
		pg := pages{signaling: status.SignalingOptions{URL: ln.URL(), Policy: policyText(*policy, realms), RealmPolicy: func(r uint32) string {
			p, ok := realms[r]
			if !ok {
				p = pol
			}
			switch {
			case p.Open:
				return "open"
			case p.Secret != "":
				return "its secret"
			}
			return "admits nobody"
		}}}
		if turnSrv != nil {
			pg.collectors = append(pg.collectors, turnserver.NewCollector(turnSrv))
		}
		o, err := startObserver(ml, metrics.Sources{Signaling: srv}, pg, stdout, log)
		if err != nil {
			return err
		}
		defer o.close()
	}
	<-ctx.Done()
	log.Info("signaling server stopping")
	return nil
}

// startSignalTURN starts the TURN server of actr signal --turn-listen
// (its secret made up unless given), or only names one run elsewhere
// (--turn-url with --turn-secret-file): what the signaling server tells
// actors.
func startSignalTURN(t *turnFlags, tlsCfg *tls.Config, log *slog.Logger) (*turnserver.Server, signaling.TURNConfig, error) {
	if t.listen == "" && t.tlsListen == "" {
		if t.urls == "" {
			return nil, signaling.TURNConfig{}, nil
		}
		secret, err := t.secret(false)
		if err != nil {
			return nil, signaling.TURNConfig{}, err
		}
		urls, err := t.announced(nil, nil)
		return nil, signaling.TURNConfig{Secret: secret, URLs: urls}, err
	}
	switch {
	case t.tlsListen == "none":
		t.tlsListen = ""
	case t.tlsListen == "" && tlsCfg != nil && t.listen != "":
		// The server has a certificate: TURN over TLS too, on 5349.
		host, _, err := net.SplitHostPort(t.listen)
		if err != nil {
			return nil, signaling.TURNConfig{}, usageError("--turn-listen %q: %v", t.listen, err)
		}
		t.tlsListen = net.JoinHostPort(host, "5349")
	}
	secret, err := t.secret(true)
	if err != nil {
		return nil, signaling.TURNConfig{}, err
	}
	cfg, err := t.config(secret, log)
	if err != nil {
		return nil, signaling.TURNConfig{}, err
	}
	s, err := t.start(cfg, tlsCfg)
	if err != nil {
		return nil, signaling.TURNConfig{}, err
	}
	urls, err := t.announced(s, cfg.RelayIP)
	if err != nil {
		_ = s.Close()
		return nil, signaling.TURNConfig{}, err
	}
	log.Info("TURN server started", "urls", strings.Join(urls, " "), "relay_ip", cfg.RelayIP.String())
	return s, signaling.TURNConfig{Secret: secret, URLs: urls}, nil
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

// defaultKeyFile is where the signing key lives without --key: signal.key
// in the actr directory of the user's configuration directory
// ($XDG_CONFIG_HOME/actr, or ~/.config/actr, on Linux).
func defaultKeyFile() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", usageError("no default place for the signing key (%v): give --key FILE", err)
	}
	return filepath.Join(dir, "actr", "signal.key"), nil
}

func defaultKeyHelp() string {
	if p, err := defaultKeyFile(); err == nil {
		return p
	}
	return "signal.key in the user's configuration directory"
}

// loadOrGenerateIssuer loads the key at path or, if there is none, makes
// a new one in memory (created), for saveNewKey to write once the server
// listens.
func loadOrGenerateIssuer(path string, keyID uint32) (*auth.Issuer, bool, error) {
	id, key, err := auth.LoadPrivateKey(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		iss, err := auth.GenerateIssuer(keyID)
		if err != nil {
			return nil, false, fmt.Errorf("generating the signing key: %w", err)
		}
		return iss, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("the signing key: %w", err)
	case id != keyID:
		return nil, false, usageError("the signing key %s has key id %d, not --key-id %d: pass --key-id %d, or move the file away to generate a new key", path, id, keyID, id)
	}
	iss, err := auth.NewIssuer(id, key)
	if err != nil {
		return nil, false, fmt.Errorf("the signing key %s: %w", path, err)
	}
	return iss, false, nil
}

// saveNewKey writes a newly generated key at path (0600; its directory
// 0700 if it has to be made), refusing to replace a file another process
// wrote meanwhile.
func saveNewKey(path string, iss *auth.Issuer) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("making the signing key's directory: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("writing the signing key: %w", err)
	}
	name := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(name)
	if err := auth.SavePrivateKey(name, iss.KeyID(), iss.PrivateKey()); err != nil {
		return fmt.Errorf("writing the signing key: %w", err)
	}
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s appeared while the server started (another actr signal?): start again to use that key", path)
		}
		return fmt.Errorf("writing the signing key: %w", err)
	}
	return nil
}

// policyText describes the registration policy for the status page.
func policyText(policy string, realms map[uint32]signaling.RegistrationPolicy) string {
	if policy != "secret" {
		return policy + " (any realm)"
	}
	ids := make([]uint32, 0, len(realms))
	for r := range realms {
		ids = append(ids, r)
	}
	slices.Sort(ids)
	var b strings.Builder
	for i, r := range ids {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, r)
	}
	return "secret (realms " + b.String() + ", each its own secret; other realms refused)"
}
